/**
 * gh-19 defect 3: finished runs are readable from a read-only folder (an archive, a colleague's
 * copy). A finished run's database leaves WAL mode when its writer closes it (one self-contained
 * file); a database still in WAL mode (a killed run, or one written before this change) opens as
 * immutable. The read-only folder is a read-only bind mount (root can write through file modes, so
 * chmod would prove nothing); the test is skipped where mounting is not allowed.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createDashboard } from "../cli/dashboard.ts";
import { listRuns, RunStore } from "../polyscore/runs/store.ts";
import { makeDoneRun, trainLoop } from "./_fixtures.ts";

function sh(cmd: string): boolean {
  return new Deno.Command("sh", { args: ["-c", cmd], stdout: "null", stderr: "null" }).outputSync()
    .success;
}

/** A read-only view of `src` at a new folder, or null when this machine cannot mount. */
function readOnlyMount(src: string): string | null {
  const ro = Deno.makeTempDirSync({ prefix: "ro_runs_" });
  if (sh(`mount --bind '${src}' '${ro}' && mount -o remount,bind,ro '${ro}'`)) return ro;
  sh(`umount '${ro}'`);
  Deno.removeSync(ro);
  return null;
}

const canMount = (() => {
  const d = Deno.makeTempDirSync();
  const ro = readOnlyMount(d);
  if (ro) {
    sh(`umount '${ro}'`);
    Deno.removeSync(ro);
  }
  Deno.removeSync(d);
  return ro !== null;
})();

Deno.test("gh-19: a finished run's database leaves WAL mode when its writer closes it", () => {
  const root = Deno.makeTempDirSync();
  try {
    makeDoneRun(root, "done-1");
    const files = [...Deno.readDirSync(`${root}/done-1`)].map((e) => e.name);
    assert.ok(!files.some((f) => /-(wal|shm)$/.test(f)), files.join(", "));
    const db = new DatabaseSync(`${root}/done-1/run.sqlite`, { readOnly: true });
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "delete");
    db.close();
    // A live run stays in WAL mode, so the dashboard can read it while it is written.
    const live = RunStore.create(root, { id: "live", config: {}, preset: "tiny", backend: "wasm" });
    const db2 = new DatabaseSync(`${root}/live/run.sqlite`, { readOnly: true });
    assert.equal(db2.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    db2.close();
    live.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test({
  name: "gh-19: runs in a read-only folder are listed and their pages served (WAL or not)",
  ignore: !canMount,
  async fn() {
    const root = Deno.makeTempDirSync();
    makeDoneRun(root, "done-1");
    // A run still in WAL mode whose -wal/-shm files are gone: as a run written before this change.
    const old = RunStore.create(root, { id: "old", config: {}, preset: "tiny", backend: "wasm" });
    trainLoop(old, "ae/m0", 20, 1);
    old.setStatus("done");
    old.close();
    const walDb = new DatabaseSync(`${root}/old/run.sqlite`);
    walDb.exec("PRAGMA journal_mode=WAL");
    walDb.close();
    const ro = readOnlyMount(root)!;
    const server = createDashboard({ runsRoot: ro, pollMs: 30 });
    try {
      const runs = listRuns(ro).map((r) => [r.id, r.status, r.error ?? ""]).sort();
      assert.deepEqual(runs, [["done-1", "done", ""], ["old", "done", ""]]);
      for (const id of ["done-1", "old"]) {
        const page = await server.handler(new Request(`http://localhost/runs/${id}`));
        const text = await page.text();
        assert.equal(page.status, 200, `${id}: ${text.slice(0, 300)}`);
        const api = await server.handler(new Request(`http://localhost/api/runs/${id}/metrics`));
        assert.equal(api.status, 200);
        await api.body?.cancel();
      }
    } finally {
      await server.close();
      sh(`umount '${ro}'`);
      Deno.removeSync(ro);
      Deno.removeSync(root, { recursive: true });
    }
  },
});
