import { z } from 'zod';

/**
 * Custom ids are `vi:<command>:<action>[:<arg>...]`: a namespace so foreign components are
 * ignored, and only short keys, since Discord caps ids at 100 characters and state belongs
 * in the store, not in the id.
 */
const NAMESPACE = 'vi';
const part = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/);

export interface CustomId {
  command: string;
  action: string;
  args: string[];
}

export function encodeCustomId(command: string, action: string, ...args: Array<string | number>): string {
  const id = [NAMESPACE, command, action, ...args.map(String)].join(':');
  if (id.length > 100) throw new Error(`custom id too long: ${id.length}`);
  return id;
}

export function decodeCustomId(raw: string): CustomId | undefined {
  const [ns, command, action, ...args] = raw.split(':');
  if (ns !== NAMESPACE) return undefined;
  const parsed = z.object({ command: part, action: part, args: z.array(part).max(4) }).safeParse({ command, action, args });
  return parsed.success ? parsed.data : undefined;
}
