import assert from "node:assert/strict";
import { JobQueue, QueueFullError } from "./job_queue.ts";

Deno.test("JobQueue runs jobs one at a time, in order, and refuses beyond maxPending", async () => {
  const q = new JobQueue(3);
  const order: number[] = [];
  let running = 0, maxRunning = 0;
  const job = (i: number) => async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((r) => setTimeout(r, 5));
    order.push(i);
    running--;
    return i;
  };
  const ps = [q.push(job(1)), q.push(job(2)), q.push(job(3))];
  assert.equal(q.pending, 3);
  assert.throws(() => q.push(job(4)), QueueFullError);
  assert.deepEqual(await Promise.all(ps), [1, 2, 3]);
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(maxRunning, 1);
  assert.equal(q.pending, 0);
  await assert.rejects(q.push(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await q.push(() => Promise.resolve(7)), 7, "a failed job does not block the queue");
  await q.close();
  await assert.rejects(q.push(job(5)), /closed/);
  assert.throws(() => new JobQueue(0), RangeError);
});
