// The images and the compose file, checked without a Docker engine: each
// Dockerfile's stages, user, entrypoint and ports; its apt packages against
// apt-cache and install-deps.sh; its runtime packages against the real
// binaries' ldd; its ENV and the compose file's settings against the
// binaries' flag parser. Run through run.sh.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { assert, buildDir, check, checkSettings, collect, components, done, eq, needBinaries, problems, read, repo, run } from "./lib.mjs";

// ---------------------------------------------------------------- Dockerfiles
function parseDockerfile(p) {
  const lines = read(p).replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const stages = [];
  for (const line of lines) {
    const [instr, ...rest] = line.trim().split(/\s+/);
    const args = rest.join(" ");
    if (instr.toUpperCase() === "FROM") stages.push({ from: args, lines: [] });
    stages.at(-1)?.lines.push({ instr: instr.toUpperCase(), args });
  }
  return stages;
}
const aptPackages = (stage) =>
  stage.lines.filter((l) => l.instr === "RUN" && /apt-get install/.test(l.args))
    .flatMap((l) => l.args.split(/apt-get install/)[1].split("&&")[0].trim().split(/\s+/))
    .filter((w) => w && !w.startsWith("-"));

// One apt-cache call for all packages (each call reads the whole cache).
const aptKnown = {};
function notInApt(pkgs) {
  const ask = [...new Set(pkgs)].filter((p) => !(p in aptKnown));
  if (ask.length) {
    const out = run("apt-cache", ["show", "--no-all-versions", ...ask], { maxBuffer: 64 << 20 });
    const found = new Set([...out.stdout.matchAll(/^Package: (\S+)/gm)].map((m) => m[1]));
    for (const p of ask) aptKnown[p] = found.has(p);
  }
  return pkgs.filter((p) => !aptKnown[p]);
}
// The Debian package of each library, with one dpkg -S call. usrmerge: dpkg
// knows a file by the path its package ships it under (/lib or /usr/lib).
function packagesOf(libs) {
  const variants = (lib) => {
    const real = fs.realpathSync(lib);
    return [...new Set([lib, real].flatMap((p) => [p, p.replace(/^\/usr\/lib\//, "/lib/"), p.replace(/^\/lib\//, "/usr/lib/")]))];
  };
  const out = run("dpkg", ["-S", ...libs.flatMap(variants)], { maxBuffer: 64 << 20 });
  const owner = {};
  for (const line of out.stdout.split("\n")) {
    const m = line.match(/^(.+?): (\/.*)$/);
    if (m) owner[m[2]] = m[1].split(",")[0].split(":")[0].trim();
  }
  return Object.fromEntries(libs.map((lib) => [lib, variants(lib).map((v) => owner[v]).find(Boolean) ?? null]));
}

for (const c of Object.keys(components)) {
  const file = `deploy/docker/${c}.Dockerfile`;
  const stages = parseDockerfile(file);
  const [build, final] = [stages[0], stages.at(-1)];
  const finalOf = (i) => final.lines.filter((l) => l.instr === i).map((l) => l.args);
  const shipped = finalOf("COPY").filter((a) => a.startsWith("--from=build"))
    .map((a) => a.split(/\s+/)[1].replace(/^\/src\/build\//, ""));

  check(`${file}: multi-stage debian:12 build, debian:12-slim runtime, tests off`, () => {
    eq(stages.length, 2, "stages");
    assert(/^debian:12\s+AS\s+build$/i.test(build.from), `build stage is FROM ${build.from}`);
    eq(final.from, "debian:12-slim", "final stage");
    assert(build.lines.some((l) => l.instr === "RUN" && /-DSIGNALING_TESTS=OFF/.test(l.args)), "cmake -DSIGNALING_TESTS=OFF");
    assert(shipped.includes(components[c].bin), `ships ${components[c].bin}`);
  });

  check(`${file}: non-root uid 10001, ENTRYPOINT the binary, EXPOSE its ports, admin on 0.0.0.0`, () => {
    eq(finalOf("USER"), ["10001:10001"], "USER");
    const entry = JSON.parse(finalOf("ENTRYPOINT")[0]);
    eq(entry, [`/usr/local/bin/${path.basename(components[c].bin)}`], "ENTRYPOINT");
    const ports = finalOf("EXPOSE").join(" ").split(/\s+/).map(Number).sort();
    const want = [components[c].admin, components[c].grpc ?? components[c].public].sort();
    eq(ports, want, "EXPOSE");
    assert(/SIGNALING_ADMIN_ADDRESS=0\.0\.0\.0/.test(finalOf("ENV").join(" ")), "ENV SIGNALING_ADMIN_ADDRESS=0.0.0.0");
    if (c === "gateway") assert(finalOf("COPY").some((a) => /^gateway\/web\s/.test(a)), "gateway image carries gateway/web");
  });

  check(`${file}: every apt package named exists in Debian (apt-cache)`, () => {
    const missing = notInApt([...aptPackages(build), ...aptPackages(final)]);
    assert(missing.length === 0, `not in apt: ${missing.join(" ")}`);
  });

  check(`${file}: build packages are those scripts/install-deps.sh installs`, () => {
    const deps = read("scripts/install-deps.sh");
    const extra = aptPackages(build).filter((p) => !new RegExp(`(^|\\s)${p.replace(/[+.]/g, "\\$&")}(\\s|$)`, "m").test(deps));
    assert(extra.length === 0, `not in install-deps.sh: ${extra.join(" ")}`);
  });

  check(`${file}: runtime packages cover the ldd of every shipped binary`, () => {
    needBinaries();
    // libc6 is in every Debian image (all essential packages depend on it).
    const have = new Set([...aptPackages(final), "libc6"]);
    collect(() => {
      for (const rel of shipped) {
        const out = run("ldd", [path.join(buildDir, rel)]);
        assert(out.status === 0, `ldd ${rel}: ${out.stderr}`);
        const libs = [...out.stdout.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1]);
        assert(libs.length > 0, `ldd ${rel} lists no libraries`);
        for (const [lib, pkg] of Object.entries(packagesOf(libs))) {
          if (!pkg) problems.push(`${rel}: ${lib} belongs to no Debian package`);
          else if (!have.has(pkg)) problems.push(`${rel}: needs ${pkg} (${path.basename(lib)})`);
        }
      }
    });
  });

  check(`${file}: ENV settings are accepted by signaling-${c}`, () => {
    needBinaries();
    const env = {};
    for (const a of finalOf("ENV")) for (const m of a.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
    collect(() => checkSettings(c, env, file));
  });
}

check("deploy/docker/*.dockerignore let through every folder CMake configures", () => {
  const cmake = read("CMakeLists.txt");
  // tests/ is configured only with SIGNALING_TESTS, which the images turn off.
  const dirs = [...cmake.matchAll(/add_subdirectory\((\S+?)\)/g)].map((m) => m[1].split("/")[0]).filter((d) => d !== "tests");
  collect(() => {
    for (const c of Object.keys(components)) {
      const ignore = read(`deploy/docker/${c}.Dockerfile.dockerignore`);
      for (const d of new Set(["CMakeLists.txt", ...dirs.map((d) => `${d}/`)])) {
        if (!ignore.split("\n").includes(`!${d}`)) problems.push(`${c}.Dockerfile.dockerignore does not let ${d} through`);
      }
    }
  });
});

// ---------------------------------------------------------------- compose
const compose = YAML.parse(read("deploy/docker-compose.yml"), { merge: true });
check("docker-compose.yml: the three services in explicit dev mode, key from signaling-mint", () => {
  const s = compose.services;
  for (const c of Object.keys(components)) {
    assert(s[c], `service ${c}`);
    eq(s[c].environment.SIGNALING_GRPC_INSECURE, "true", `${c} plaintext gRPC is explicit`);
    eq(s[c].read_only, true, `${c} read_only`);
    eq(s[c].cap_drop, ["ALL"], `${c} cap_drop`);
  }
  eq(s.gateway.environment.SIGNALING_DEV_MODE, "true", "gateway dev mode is explicit");
  assert(/signaling-mint --generate_key \/keys\/dev\.key --alg HS256/.test(s.keygen.command.join(" ")), "keygen generates the dev key");
  eq(s.auth.environment.SIGNALING_KEY, "dev:HS256:/keys/dev.key", "auth uses the generated key");
  eq(s.auth.depends_on.keygen.condition, "service_completed_successfully", "auth waits for the key");
  for (const svc of Object.values(s)) {
    if (svc.build) assert(fs.existsSync(path.join(repo, "deploy", svc.build.context, svc.build.dockerfile)), `dockerfile ${svc.build.dockerfile}`);
  }
});
check("docker-compose.yml: every service's settings are accepted by its binary", () => {
  needBinaries();
  collect(() => { for (const c of Object.keys(components)) checkSettings(c, compose.services[c].environment, `compose ${c}`); });
});

done("images");
