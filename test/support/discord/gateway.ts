import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { RawData } from 'ws';
import { APPLICATION_FLAGS, guildCreatePayload } from './world.js';
import type { Json, World } from './world.js';

/** How discord.js learns a session is gone: close codes from Discord's gateway docs. */
const CLOSE = {
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
} as const;

export const HEARTBEAT_INTERVAL = 41_250;

export interface GatewayIdentify {
  intents: number;
  shard: [number, number] | undefined;
  properties: unknown;
  at: number;
}

export interface GatewayStats {
  connections: number;
  identifies: GatewayIdentify[];
  resumes: number;
}

interface LoggedEvent {
  s: number;
  text: string;
  written: Promise<void>;
  markWritten: () => void;
}

interface Session {
  id: string;
  /** The shard this session is, of how many: `[0, 1]` when the client named none. */
  shard: [number, number];
  seq: number;
  log: LoggedEvent[];
  socket: WebSocket | undefined;
}

/** The shard a guild's events go to, by Discord's formula: `(guild_id >> 22) % shard_count`. */
export function shardOfGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** The guild a dispatch is about, if any: DMs and the bot's own events have none (they go to shard 0). */
function guildOf(t: string, d: unknown): string | undefined {
  if (typeof d !== 'object' || d === null) return undefined;
  const { guild_id: guildId, id } = d as { guild_id?: unknown; id?: unknown };
  if (typeof guildId === 'string') return guildId;
  return t.startsWith('GUILD_') && typeof id === 'string' ? id : undefined;
}

export interface GatewayOptions {
  token: string;
  world: World;
  url: () => string;
  now: () => number;
  onReady: () => void;
  onChange: () => void;
}

export class FakeGateway {
  readonly stats: GatewayStats = { connections: 0, identifies: [], resumes: 0 };
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly sessions = new Map<string, Session>();
  /** The live session of each shard, by shard id. */
  private readonly current = new Map<number, Session>();
  /** Shards whose READY (and their guilds) went out: the client is ready once all of them have. */
  private readonly readyShards = new Set<number>();
  /** While down, sockets are accepted and then left silent (no HELLO), as in a gateway outage. */
  private down = false;
  private readonly held = new Set<WebSocket>();

  constructor(private readonly options: GatewayOptions) {
    this.wss.on('connection', (socket: WebSocket, req: IncomingMessage) => this.onConnection(socket, req));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.down) {
        this.held.add(ws);
        ws.on('close', () => this.held.delete(ws));
        return;
      }
      this.wss.emit('connection', ws, req);
    });
  }

  /** Whether an identified client can receive dispatches now or after it resumes. */
  get hasSession(): boolean {
    return this.current.size > 0;
  }

  /**
   * A gateway outage: every socket is dropped and new ones get no HELLO, so the client keeps
   * trying. `restore()` drops the silent sockets too, and the client reconnects and resumes.
   */
  takeDown(): { restore(): void } {
    this.down = true;
    for (const session of this.current.values()) session.socket?.terminate();
    return {
      restore: () => {
        this.down = false;
        for (const ws of this.held) ws.terminate();
        this.held.clear();
      },
    };
  }

  /**
   * Sends a dispatch on the current session and resolves once it is on the socket. With the
   * socket down, the event waits in the session log and goes out when the client resumes,
   * as Discord replays missed events.
   */
  dispatch(t: string, d: unknown): Promise<void> {
    const session = this.sessionFor(guildOf(t, d));
    if (!session) throw new Error('fake Discord: no gateway session; log a client in and await fake.ready() first');
    return this.push(session, t, d).written;
  }

  /** The session that gets a guild's events: its shard's (shard 0's without a guild), as on Discord. */
  private sessionFor(guildId: string | undefined): Session | undefined {
    const any = this.current.values().next().value;
    if (!any) return undefined;
    const shard = guildId === undefined ? 0 : shardOfGuild(guildId, any.shard[1]);
    return this.current.get(shard);
  }

  /** Drops the client's sockets without a close frame, like a network failure: discord.js resumes. */
  disconnect(): void {
    for (const session of this.current.values()) session.socket?.terminate();
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.held.clear();
    this.wss.close();
  }

  private push(session: Session, t: string, d: unknown): LoggedEvent {
    session.seq += 1;
    let markWritten = (): void => undefined;
    const written = new Promise<void>((resolve) => {
      markWritten = resolve;
    });
    const event: LoggedEvent = { s: session.seq, text: JSON.stringify({ op: 0, t, s: session.seq, d }), written, markWritten };
    session.log.push(event);
    const socket = session.socket;
    if (socket?.readyState === WebSocket.OPEN) this.write(socket, event);
    return event;
  }

  private write(socket: WebSocket, event: LoggedEvent): void {
    socket.send(event.text, () => event.markWritten());
  }

  private send(socket: WebSocket, payload: Json): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  private onConnection(socket: WebSocket, req: IncomingMessage): void {
    this.stats.connections += 1;
    this.options.onChange();
    const query = new URL(req.url ?? '/', 'ws://localhost').searchParams;
    if ((query.get('encoding') ?? 'json') !== 'json') {
      socket.close(CLOSE.decodeError, 'Error while decoding payload.');
      return;
    }
    let session: Session | undefined;
    this.send(socket, {
      op: 10,
      d: { heartbeat_interval: HEARTBEAT_INTERVAL, _trace: ['["gateway-prd-fake-1",{"micros":0.0}]'] },
      s: null,
      t: null,
    });
    socket.on('message', (data: RawData) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(data.toString()) as { op?: unknown; d?: unknown };
      } catch {
        socket.close(CLOSE.decodeError, 'Error while decoding payload.');
        return;
      }
      const d = (typeof payload.d === 'object' && payload.d !== null ? payload.d : {}) as Json;
      switch (payload.op) {
        case 1:
          this.send(socket, { op: 11, d: null, s: null, t: null });
          return;
        case 2:
          if (session) {
            socket.close(CLOSE.alreadyAuthenticated, 'Already authenticated.');
            return;
          }
          if (!this.tokenOk(d.token)) {
            socket.close(CLOSE.authenticationFailed, 'Authentication failed.');
            return;
          }
          session = this.identify(socket, d);
          return;
        case 6: {
          if (!this.tokenOk(d.token)) {
            socket.close(CLOSE.authenticationFailed, 'Authentication failed.');
            return;
          }
          const resumed = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
          if (!resumed) {
            this.send(socket, { op: 9, d: false, s: null, t: null });
            return;
          }
          session = resumed;
          this.resume(socket, resumed, typeof d.seq === 'number' ? d.seq : 0);
          return;
        }
        case 3:
        case 4:
        case 8:
        case 31:
          // Presence, voice state, member requests: accepted; the fake has nothing to answer.
          if (!session) socket.close(CLOSE.notAuthenticated, 'Not authenticated.');
          return;
        default:
          socket.close(CLOSE.unknownOpcode, 'Unknown opcode.');
      }
    });
    socket.on('close', (code: number) => {
      if (session?.socket === socket) {
        session.socket = undefined;
        // A client closing with 1000/1001 ends its session on Discord: it cannot be resumed,
        // so nothing should wait for it to come back.
        if (code === 1000 || code === 1001) {
          this.sessions.delete(session.id);
          if (this.current.get(session.shard[0]) === session) this.current.delete(session.shard[0]);
        }
      }
      this.options.onChange();
    });
  }

  private tokenOk(token: unknown): boolean {
    return token === this.options.token || token === `Bot ${this.options.token}`;
  }

  private identify(socket: WebSocket, d: Json): Session {
    const shard = Array.isArray(d.shard) && d.shard.length === 2 ? (d.shard as [number, number]) : undefined;
    this.stats.identifies.push({ intents: Number(d.intents ?? 0), shard, properties: d.properties, at: this.options.now() });
    const [shardId, shardCount] = shard ?? [0, 1];
    const session: Session = { id: randomBytes(16).toString('hex'), shard: [shardId, shardCount], seq: 0, log: [], socket };
    this.sessions.set(session.id, session);
    this.current.set(shardId, session);
    const { world } = this.options;
    // Each shard hears of the guilds on it only.
    const hasGuild = shardOfGuild(world.guild, shardCount) === shardId;
    const ready = this.push(session, 'READY', {
      v: 10,
      user_settings: {},
      user: world.botUser,
      guilds: hasGuild ? [{ id: world.guild, unavailable: true }] : [],
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: `${this.options.url()}/resume`,
      shard: [shardId, shardCount],
      application: { id: world.application, flags: APPLICATION_FLAGS },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['rotterdam', 'frankfurt', 'london', 'madrid', 'milan'],
      auth: {},
      _trace: ['["gateway-prd-fake-1",{"micros":0.0}]'],
    });
    const last = hasGuild ? this.push(session, 'GUILD_CREATE', guildCreatePayload(world)) : ready;
    void last.written.then(() => {
      this.readyShards.add(shardId);
      if (Array.from({ length: shardCount }, (_, i) => i).every((i) => this.readyShards.has(i))) this.options.onReady();
    });
    this.options.onChange();
    return session;
  }

  private resume(socket: WebSocket, session: Session, seq: number): void {
    this.stats.resumes += 1;
    // A previous socket still open for this session is replaced, as on Discord.
    if (session.socket && session.socket !== socket) session.socket.terminate();
    session.socket = socket;
    this.current.set(session.shard[0], session);
    for (const event of session.log) if (event.s > seq) this.write(socket, event);
    this.push(session, 'RESUMED', { _trace: ['["gateway-prd-fake-1",{"micros":0.0}]'] });
    this.options.onChange();
  }
}
