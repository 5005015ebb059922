// Micro-benchmark of the trace ring buffer (src/trace/ring_buffer.ts): events written and read per second, bytes per event, as JSON.

import { RingBuffer, eventLength, FN_PAYLOAD, GRAPH_ENT_PAYLOAD, GRAPH_RET_PAYLOAD } from '../src/trace/ring_buffer.js';

const N = 10_000_000;
const rb = new RingBuffer({ nrCpus: 4 });
let t0 = process.hrtime.bigint();
let ts = 0;
for (let i = 0; i < N; i++) rb.writeFunction(i & 3, (ts += 13), 100, 0, 0, -2130706432 + (i & 1023), -2130700000);
const writeSec = Number(process.hrtime.bigint() - t0) / 1e9;

const graph = new RingBuffer({ nrCpus: 4 });
t0 = process.hrtime.bigint();
ts = 0;
for (let i = 0; i < N / 2; i++) {
  const cpu = i & 3;
  const f = -2130706432 + (i & 1023);
  const call = (ts += 13);
  graph.writeGraphEntry(cpu, call, 100, 0, 0, f, 1);
  graph.writeGraphReturn(cpu, (ts += 13), 100, 0, 0, f, 1, call, ts);
}
const graphSec = Number(process.hrtime.bigint() - t0) / 1e9;

t0 = process.hrtime.bigint();
const it = rb.iterator();
let read = 0;
while (it.next() !== undefined) read++;
const iterSec = Number(process.hrtime.bigint() - t0) / 1e9;

t0 = process.hrtime.bigint();
const c = rb.consumer();
let consumed = 0;
while (c.next() !== undefined) consumed++;
const consumeSec = Number(process.hrtime.bigint() - t0) / 1e9;

console.log(JSON.stringify({
  functionEventsWrittenPerSecond: Math.round(N / writeSec),
  graphEventsWrittenPerSecond: Math.round(N / graphSec),
  iteratorEventsPerSecond: Math.round(read / iterSec),
  consumerEventsPerSecond: Math.round(consumed / consumeSec),
  eventsHeldPerCpu: read / 4,
  bytesPerEvent: { function: eventLength(FN_PAYLOAD), graphEntry: eventLength(GRAPH_ENT_PAYLOAD), graphReturn: eventLength(GRAPH_RET_PAYLOAD) },
  storageBytesPerCpu: rb.storageBytes(0),
}, null, 2));
