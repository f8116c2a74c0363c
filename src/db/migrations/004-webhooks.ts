import { type Kysely, sql } from 'kysely'

/**
 * Webhook subscriptions and their deliveries. The dispatcher reads the log from its own
 * checkpoint and records one live delivery per subscription × event (the partial unique index);
 * replays record new deliveries of their own. Every delivery is sent by a pg-boss job, and
 * `job_id` names the one job allowed to send it: a job that finds another id there is stale.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_subscriptions (
      id uuid primary key,
      url text not null,
      types text[] not null,
      subjects text[] not null,
      description text,
      status text not null check (status in ('active', 'paused', 'disabled')),
      disabled_reason text,
      secret text not null,
      previous_secret text,
      previous_secret_until timestamptz,
      -- Events after this position are the subscription's; earlier history comes only by replay.
      start_position bigint not null,
      -- Set by the first failed attempt after a success; cleared by the next success.
      failing_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db)
  await sql`
    create table webhook_replays (
      id uuid primary key,
      subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
      from_position bigint not null,
      to_position bigint not null,
      -- The last position the dispatcher has matched; done when it reaches to_position.
      position bigint not null,
      created_at timestamptz not null default now(),
      completed_at timestamptz
    )
  `.execute(db)
  await sql`
    create table webhook_deliveries (
      id uuid primary key,
      -- Creation order, for paging the delivery log.
      seq bigint generated always as identity,
      subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
      event_position bigint not null,
      event_id uuid not null,
      replay_id uuid references webhook_replays (id) on delete cascade,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      -- Index in the retry schedule of the next attempt (0 = the first).
      next_attempt integer not null default 0,
      attempt_count integer not null default 0,
      job_id uuid,
      next_attempt_at timestamptz,
      created_at timestamptz not null default now(),
      last_attempt_at timestamptz,
      delivered_at timestamptz
    )
  `.execute(db)
  await sql`
    create unique index webhook_deliveries_live on webhook_deliveries (subscription_id, event_position)
    where replay_id is null
  `.execute(db)
  await sql`
    create unique index webhook_deliveries_replayed on webhook_deliveries (replay_id, event_position)
    where replay_id is not null
  `.execute(db)
  await sql`
    create index webhook_deliveries_by_subscription on webhook_deliveries (subscription_id, seq desc)
  `.execute(db)
  await sql`
    create index webhook_deliveries_by_status on webhook_deliveries (subscription_id, status, seq desc)
  `.execute(db)
  await sql`
    create table webhook_attempts (
      delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
      attempt integer not null,
      attempted_at timestamptz not null,
      duration_ms integer not null,
      status_code integer,
      error text,
      response_body text,
      primary key (delivery_id, attempt)
    )
  `.execute(db)
  await sql`
    create table webhook_dispatcher (
      id boolean primary key default true check (id),
      position bigint not null,
      updated_at timestamptz not null default now()
    )
  `.execute(db)
  // The dispatcher starts at the head: facts recorded before webhooks existed are history.
  await sql`
    insert into webhook_dispatcher (position) select coalesce(max(position), 0) from events
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists webhook_dispatcher`.execute(db)
  await sql`drop table if exists webhook_attempts`.execute(db)
  await sql`drop table if exists webhook_deliveries`.execute(db)
  await sql`drop table if exists webhook_replays`.execute(db)
  await sql`drop table if exists webhook_subscriptions`.execute(db)
}
