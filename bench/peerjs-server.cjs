// Starts PeerJS server 1.0.2 (installed by bench/run.sh into bench/peerjs/)
// for the comparison runs: node bench/peerjs-server.cjs PORT
const path = require('path');
const { PeerServer } = require(path.join(__dirname, 'peerjs', 'node_modules', 'peer'));
const port = Number(process.argv[2] || 9000);
PeerServer({
  port,
  host: '127.0.0.1',
  key: 'peerjs',
  path: '/',
  concurrent_limit: 1000000,  // default 5000 would cap the idle runs
  alive_timeout: 600000,      // no client heartbeats needed during bench holds
}, () => console.log(`peerjs listening on ${port}`));
