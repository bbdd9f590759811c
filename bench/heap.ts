import { readFile } from 'node:fs/promises';

/** The parts of a V8 `.heapsnapshot` that a per-constructor count reads. */
interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGrowthLine {
  /** `object:SequentialHandler`, `closure:onData`, or a kind such as `string`. */
  name: string;
  count: number;
  bytes: number;
}

function isHeapSnapshot(value: unknown): value is HeapSnapshot {
  const v = value as Partial<HeapSnapshot> | null;
  return typeof v === 'object' && v !== null && Array.isArray(v.nodes) && Array.isArray(v.strings) && typeof v.snapshot === 'object';
}

/** Count and self size per constructor (objects, closures) or per kind (strings, code, arrays). */
async function countByConstructor(path: string): Promise<Map<string, { count: number; bytes: number }>> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isHeapSnapshot(parsed)) throw new Error(`${path} is not a V8 heap snapshot`);
  const fields = parsed.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = parsed.snapshot.meta.node_types[typeAt];
  const typeNames = Array.isArray(types) ? types.map(String) : [];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let o = 0; o < parsed.nodes.length; o += width) {
    const type = typeNames[parsed.nodes[o + typeAt] ?? -1] ?? 'unknown';
    const name = type === 'object' || type === 'closure' ? `${type}:${parsed.strings[parsed.nodes[o + nameAt] ?? -1] ?? '?'}` : type;
    const entry = out.get(name) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += parsed.nodes[o + sizeAt] ?? 0;
    out.set(name, entry);
  }
  return out;
}

/** What grew between two snapshots of one process, largest first: where a leak would show. */
export async function heapGrowth(before: string, after: string, limit = 8): Promise<HeapGrowthLine[]> {
  const [a, b] = await Promise.all([countByConstructor(before), countByConstructor(after)]);
  return [...b.entries()]
    .map(([name, e]) => ({ name, count: e.count - (a.get(name)?.count ?? 0), bytes: e.bytes - (a.get(name)?.bytes ?? 0) }))
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, limit);
}
