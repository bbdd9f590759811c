import { openDatabase, type Db } from './db.js';
import { createGalleryStore, type GalleryStore } from './gallery.js';
import { createGenerationStore, type GenerationStore } from './generations.js';
import { createJobStore, type JobStore } from './jobs.js';
import { createReviewStore, type ReviewStore } from './reviews.js';
import { createSettingsStore, type SettingsStore } from './settings.js';
import { createUsageStore, type UsageStore } from './usage.js';

export interface Store {
  db: Db;
  settings: SettingsStore;
  generations: GenerationStore;
  usage: UsageStore;
  jobs: JobStore;
  /** Results waiting for (or decided by) a moderator. */
  reviews: ReviewStore;
  /** Gallery cross-posts and the ⭐ votes behind them. */
  gallery: GalleryStore;
  close(): void;
}

/** Opens the SQLite file at `path` (migrating it) and the repositories over it. */
export function openStore(path: string): Store {
  const db = openDatabase(path);
  return {
    db,
    settings: createSettingsStore(db),
    generations: createGenerationStore(db),
    usage: createUsageStore(db),
    jobs: createJobStore(db),
    reviews: createReviewStore(db),
    gallery: createGalleryStore(db),
    close: () => db.close(),
  };
}
