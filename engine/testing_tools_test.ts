import assert from "node:assert/strict";
import {
  commandRequirement,
  findCommand,
  needing,
  pythonModuleRequirement,
  requirement,
} from "./testing_tools.ts";

/** Runs `fn` with environment variables set, restoring them afterwards. */
function withEnv(vars: Record<string, string>, fn: () => void): void {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  try {
    for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
    fn();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  }
}

Deno.test("findCommand() finds executables on the PATH only, in PATH order", () => {
  const a = Deno.makeTempDirSync(), b = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${a}/tool`, "#!/bin/sh\n", { mode: 0o644 }); // not executable
    Deno.writeTextFileSync(`${b}/tool`, "#!/bin/sh\n", { mode: 0o755 });
    Deno.mkdirSync(`${a}/dir`);
    assert.equal(findCommand("tool", `${a}:${b}`), `${b}/tool`);
    assert.equal(findCommand("tool", a), null);
    assert.equal(findCommand("dir", a), null);
    assert.equal(findCommand("tool", ""), null);
  } finally {
    Deno.removeSync(a, { recursive: true });
    Deno.removeSync(b, { recursive: true });
  }
});

Deno.test("needing() ignores a test and names the missing tools and their install commands", () => {
  const fn = () => {};
  const ok = requirement("a", null, "apt-get install a");
  assert.deepEqual(needing([ok], { name: "t", fn }), { name: "t", fn });
  const r = needing([ok, requirement("b", "b not found on PATH", "apt-get install b")], {
    name: "t",
    fn,
  });
  assert.equal(r.ignore, true);
  assert.equal(r.name, "t (ignored: b not found on PATH; install: apt-get install b)");
});

Deno.test("commandRequirement() and pythonModuleRequirement() follow the PATH and PYTHONPATH", () => {
  const bin = Deno.makeTempDirSync(), site = Deno.makeTempDirSync();
  try {
    withEnv({ PATH: bin, PYTHONPATH: site }, () => {
      assert.equal(commandRequirement("wat2wasm", "x").missing, "wat2wasm not found on PATH");
      assert.equal(pythonModuleRequirement("fakemod", "x").missing, "python3 not found on PATH");
      Deno.writeTextFileSync(`${bin}/python3`, "#!/bin/sh\n", { mode: 0o755 });
      Deno.writeTextFileSync(`${bin}/wat2wasm`, "#!/bin/sh\n", { mode: 0o755 });
      const w = commandRequirement("wat2wasm", "x");
      assert.deepEqual([w.missing, w.path], [null, `${bin}/wat2wasm`]);
      assert.match(pythonModuleRequirement("fakemod", "x").missing!, /fakemod not found for/);
      Deno.mkdirSync(`${site}/fakemod`);
      Deno.writeTextFileSync(`${site}/fakemod/__init__.py`, "");
      const p = pythonModuleRequirement("fakemod", "x");
      assert.deepEqual([p.missing, p.python], [null, `${bin}/python3`]);
    });
  } finally {
    Deno.removeSync(bin, { recursive: true });
    Deno.removeSync(site, { recursive: true });
  }
});

Deno.test("pythonModuleRequirement() looks into the version a pyenv shim selects", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${root}/shims`);
    Deno.writeTextFileSync(`${root}/shims/python3`, "#!/bin/sh\n", { mode: 0o755 });
    const site = `${root}/versions/9.9/lib/python3.99/site-packages/fakemod`;
    withEnv(
      { PATH: `${root}/shims`, PYENV_ROOT: root, PYENV_VERSION: "9.9", PYTHONPATH: "" },
      () => {
        assert.notEqual(pythonModuleRequirement("fakemod", "x").missing, null);
        Deno.mkdirSync(site, { recursive: true });
        Deno.writeTextFileSync(`${site}/__init__.py`, "");
        assert.equal(pythonModuleRequirement("fakemod", "x").missing, null);
      },
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("pythonModuleRequirement() looks into a venv whose python3 links to the base interpreter", () => {
  const venv = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${venv}/bin`);
    Deno.symlinkSync("/usr/bin/env", `${venv}/bin/python3`); // any existing file: only paths matter
    const site = `${venv}/lib/python3.99/site-packages/fakemod`;
    withEnv({ PATH: `${venv}/bin`, PYTHONPATH: "", PYENV_VERSION: "none" }, () => {
      assert.notEqual(pythonModuleRequirement("fakemod", "x").missing, null);
      Deno.mkdirSync(site, { recursive: true });
      Deno.writeTextFileSync(`${site}/__init__.py`, "");
      assert.equal(pythonModuleRequirement("fakemod", "x").missing, null);
    });
  } finally {
    Deno.removeSync(venv, { recursive: true });
  }
});
