import { z } from 'zod';
import type { Db } from './db.js';

const rowSchema = z.object({
  id: z.string(),
  application_id: z.string(),
  interaction_token: z.string(),
  interaction_at: z.number(),
  placeholder_id: z.string().nullable(),
  channel_id: z.string(),
  user_id: z.string(),
  state: z.enum(['queued', 'running']),
  created_at: z.number(),
});

export interface JobRecord {
  id: string;
  applicationId: string;
  interactionToken: string;
  interactionAt: number;
  placeholderId: string | null;
  channelId: string;
  userId: string;
  state: 'queued' | 'running';
  createdAt: number;
}

export interface JobStore {
  add(job: JobRecord): void;
  setState(id: string, state: 'queued' | 'running'): void;
  remove(id: string): void;
  /** Every job a previous run left queued or running. */
  all(): JobRecord[];
}

export function createJobStore(db: Db): JobStore {
  const insert = db.prepare(
    'INSERT INTO jobs (id, application_id, interaction_token, interaction_at, placeholder_id, channel_id, user_id, state, created_at) VALUES (@id, @applicationId, @interactionToken, @interactionAt, @placeholderId, @channelId, @userId, @state, @createdAt)',
  );
  const setState = db.prepare('UPDATE jobs SET state = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM jobs WHERE id = ?');
  const all = db.prepare('SELECT * FROM jobs ORDER BY created_at');
  return {
    add: (job) => void insert.run(job),
    setState: (id, state) => void setState.run(state, id),
    remove: (id) => void remove.run(id),
    all: () =>
      all.all().map((raw) => {
        const r = rowSchema.parse(raw);
        return {
          id: r.id,
          applicationId: r.application_id,
          interactionToken: r.interaction_token,
          interactionAt: r.interaction_at,
          placeholderId: r.placeholder_id,
          channelId: r.channel_id,
          userId: r.user_id,
          state: r.state,
          createdAt: r.created_at,
        };
      }),
  };
}
