// The load generator's WebSocket client; see ws_client.h.
#include "bench/loadgen/ws_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace signaling::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void WsClient::Start(const std::string& path, bool offerer) {
  auto& sock = beast::get_lowest_layer(ws_).socket();
  beast::error_code ec;
  sock.open(tcp::v4(), ec);
  if (!ec) {
    int one = 1;
    ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sock.set_option(tcp::no_delay(true), ec);
    const auto& src = options_.sources[options_.next_source++ % options_.sources.size()];
    sock.bind({src, 0}, ec);
  }
  if (ec) {
    // Reported from the loop, not from here: a caller that starts the next
    // connection on failure would otherwise recurse once per refused
    // socket (out of file descriptors: the stack overflowed at 100k).
    asio::post(ws_.get_executor(),
               [self = shared_from_this(), why = "bind:" + ec.message()] { self->Fail(why); });
    return;
  }
  path_ = path;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(ws_).async_connect(
      offerer ? options_.offerer_server : options_.server, [self = shared_from_this()](beast::error_code ec) { self->OnConnect(ec); });
}

void WsClient::Send(std::string data) {
  if (closing_ || done_) return;
  out_.push_back(std::move(data));
  if (!writing_ && open_) DoWrite();
}

void WsClient::Close() {
  if (done_ || closing_) return;
  closing_ = true;
  if (!open_) return Abort();
  if (!writing_) DoClose();
}

void WsClient::Abort() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  Finish("");
}

void WsClient::OnConnect(beast::error_code ec) {
  if (ec) return Fail(absl::StrCat("connect:", ec.message()));
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(10);
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [subprotocol = options_.subprotocol](websocket::request_type& req) {
        req.set(http::field::origin, "http://127.0.0.1");
        req.set(http::field::user_agent, "signaling-loadgen");
        if (!subprotocol.empty()) req.set(http::field::sec_websocket_protocol, subprotocol);
      }));
  ws_.read_message_max(16 * 1024 * 1024);
  ws_.auto_fragment(false);
  ws_.binary(options_.binary);
  ws_.async_handshake("127.0.0.1", path_, [self = shared_from_this()](beast::error_code ec) {
    self->OnHandshake(ec);
  });
}

void WsClient::OnHandshake(beast::error_code ec) {
  if (ec) return Fail(absl::StrCat("upgrade:", ec.message()));
  open_ = true;
  DoRead();
  if (closing_) {
    if (!writing_) DoClose();
    return;
  }
  if (on_open) on_open();
  if (!writing_ && !out_.empty()) DoWrite();
}

void WsClient::DoRead() {
  ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      if (ec == websocket::error::closed) {
        const int code = self->ws_.reason().code;
        return self->Finish(self->closing_ || code == 1000 ? "" : absl::StrCat("close:", code));
      }
      return self->Finish(self->closing_ ? "" : absl::StrCat("read:", ec.message()));
    }
    const auto d = self->buf_.cdata();
    if (self->on_message && !self->done_) {
      self->on_message(std::string_view(static_cast<const char*>(d.data()), d.size()),
                       self->ws_.got_binary());
    }
    self->buf_.consume(self->buf_.size());
    if (!self->done_) self->DoRead();
  });
}

void WsClient::DoWrite() {
  writing_ = true;
  ws_.async_write(asio::buffer(out_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->writing_ = false;
                    self->out_.pop_front();
                    if (ec) return self->Finish(self->closing_ ? "" : "write:" + ec.message());
                    if (!self->out_.empty()) return self->DoWrite();
                    if (self->closing_) self->DoClose();
                  });
}

void WsClient::DoClose() {
  if (close_started_) return;
  close_started_ = true;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
  ws_.async_close(websocket::close_code::normal,
                  [self = shared_from_this()](beast::error_code) { self->Finish(""); });
}

void WsClient::Fail(const std::string& why) {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  Finish(why);
}

void WsClient::Finish(const std::string& why) {
  if (done_) return;
  done_ = true;
  open_ = false;
  // on_open/on_message stay (they may be running); they hold weak refs only.
  auto cb = std::move(on_close);
  if (cb) cb(why);
}

}  // namespace signaling::loadgen
