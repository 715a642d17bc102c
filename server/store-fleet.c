/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "macro.h"
#include "parse-util.h"
#include "store-body.h"
#include "store-fleet.h"

/* Indexes for the fleet queries and per-check counters. The counters are kept by triggers
 * on latest_checks so that a summary reads a dozen rows whatever the fleet size. */
static const char fleet_schema_sql[] =
        "CREATE INDEX IF NOT EXISTS fleet_latest_fresh ON latest(verdict, received_at);"
        /* The devices are counted by fleet_totals, the never-reported ones by
         * fleet_devices_pending: an index of last_seq only cost a rewrite per report. */
        "DROP INDEX IF EXISTS fleet_devices_seq;"
        /* the stale range, index-only with what the summary counts it by (verdict) and
         * leaves out by (the revoked devices' ids) */
        "DROP INDEX IF EXISTS fleet_latest_received;"
        /* (received_at, device_id) in that order: the stale list sorted by last report
         * walks it backwards to the page's end instead of sorting every stale device
         * (50,000 at a million: 0.9-12 s); the summary counts a range of it by verdict */
        "DROP INDEX IF EXISTS fleet_latest_stale;"
        "CREATE INDEX IF NOT EXISTS fleet_latest_stale_id ON latest(received_at, device_id, verdict);"
        /* ?os=…&sort=hostname walks an OS's devices in the list's hostname order (a
         * quarter of a million devices sorted for 100: 0.2 s) */
        "CREATE INDEX IF NOT EXISTS fleet_latest_os_hostname ON latest(os_id, (COALESCE(hostname, '')), device_id);"
        "CREATE INDEX IF NOT EXISTS fleet_checks_status ON latest_checks(check_id, status, device_id);"
        "CREATE INDEX IF NOT EXISTS fleet_devices_revoked ON devices(revoked_at) "
        "  WHERE revoked_at IS NOT NULL;"
        /* the revoked ids the summary's stale count leaves out, without a row fetch each */
        "CREATE INDEX IF NOT EXISTS fleet_devices_revoked_ids ON devices(id) "
        "  WHERE revoked_at IS NOT NULL;"
        "CREATE INDEX IF NOT EXISTS fleet_devices_flagged ON devices(flagged_at) "
        "  WHERE flagged_at IS NOT NULL;"
        /* the summary's flagged count, without a row fetch per flagged device */
        "CREATE INDEX IF NOT EXISTS fleet_devices_flagged_live ON devices(flagged_at) "
        "  WHERE flagged_at IS NOT NULL AND revoked_at IS NULL;"
        "CREATE INDEX IF NOT EXISTS fleet_devices_pending ON devices(enrolled_at) "
        "  WHERE last_seq = -1;"
        "CREATE INDEX IF NOT EXISTS fleet_history_device ON check_history(device_id, seq);"
        "CREATE TABLE IF NOT EXISTS fleet_check_counts ("
        "  check_id TEXT NOT NULL, status TEXT NOT NULL, n BIGINT NOT NULL,"
        "  PRIMARY KEY (check_id, status));"
        /* rows of devices ('devices') and of latest by verdict ('compliant', 'noncompliant'):
         * a million-device summary must not count a million index entries */
        "CREATE TABLE IF NOT EXISTS fleet_totals (name TEXT PRIMARY KEY, n BIGINT NOT NULL);"
        /* rows of latest by the hour of received_at and verdict: the summary sums the hours
         * before the stale bound's instead of counting the stale devices (50,000 at a
         * million: 11-80 ms); no row at zero */
        "CREATE TABLE IF NOT EXISTS fleet_hours ("
        "  hour BIGINT NOT NULL, verdict TEXT NOT NULL, n BIGINT NOT NULL,"
        "  PRIMARY KEY (hour, verdict));"
        /* rows of latest_policy by the policy version the latest report named: the outdated
         * devices are the versions other than the current one, a handful of rows (counting
         * them in latest_policy: 9 ms at a million); no row at zero */
        "CREATE TABLE IF NOT EXISTS fleet_policy_counts ("
        "  policy_id TEXT NOT NULL, version BIGINT NOT NULL, n BIGINT NOT NULL,"
        "  PRIMARY KEY (policy_id, version));";

/* The verdict and per-check counters count the devices that are not revoked: their triggers
 * skip a revoked device's rows, and revoking a device (or lifting its revocation) takes its
 * latest verdict and check statuses out of them (or puts them back). The summary then reads
 * them without joining the revoked devices with a million latest rows. */
#define FLEET_LIVE(row) \
        " NOT EXISTS (SELECT 1 FROM devices WHERE id = " row ".device_id AND revoked_at IS NOT NULL)"
#define FLEET_REVOKED_DELTA(row) "CASE WHEN " row ".revoked_at IS NULL THEN 1 ELSE -1 END"
#define FLEET_HOUR_ADD(row)                                                                        \
        "  INSERT INTO fleet_hours(hour, verdict, n) VALUES (" row ".hour, " row ".verdict, 1)"        \
        "    ON CONFLICT (hour, verdict) DO UPDATE SET n = fleet_hours.n + 1;"
#define FLEET_HOUR_TAKE(row)                                                                       \
        "  UPDATE fleet_hours SET n = n - 1 WHERE hour = " row ".hour"                             \
        "    AND verdict = " row ".verdict;"                                                       \
        "  DELETE FROM fleet_hours WHERE hour = " row ".hour AND verdict = " row ".verdict"          \
        "    AND n = 0;"

/* Recreated at each start: those of a database made before revoked devices were left out
 * counted them. */
static const char fleet_triggers_sqlite[] =
        "DROP TRIGGER IF EXISTS fleet_counts_insert;"
        "CREATE TRIGGER fleet_counts_insert AFTER INSERT ON latest_checks"
        "  WHEN" FLEET_LIVE("new") " BEGIN"
        "  INSERT INTO fleet_check_counts(check_id, status, n) VALUES (new.check_id, new.status, 1)"
        "  ON CONFLICT (check_id, status) DO UPDATE SET n = n + 1;"
        "END;"
        "DROP TRIGGER IF EXISTS fleet_counts_update;"
        "CREATE TRIGGER fleet_counts_update AFTER UPDATE OF status ON latest_checks"
        "  WHEN old.status <> new.status AND" FLEET_LIVE("new") " BEGIN"
        "  UPDATE fleet_check_counts SET n = n - 1 WHERE check_id = old.check_id AND status = old.status;"
        "  INSERT INTO fleet_check_counts(check_id, status, n) VALUES (new.check_id, new.status, 1)"
        "  ON CONFLICT (check_id, status) DO UPDATE SET n = n + 1;"
        "END;"
        "DROP TRIGGER IF EXISTS fleet_counts_delete;"
        "CREATE TRIGGER fleet_counts_delete AFTER DELETE ON latest_checks"
        "  WHEN" FLEET_LIVE("old") " BEGIN"
        "  UPDATE fleet_check_counts SET n = n - 1 WHERE check_id = old.check_id AND status = old.status;"
        "END;"
        "CREATE TRIGGER IF NOT EXISTS fleet_totals_device_insert AFTER INSERT ON devices BEGIN"
        "  INSERT INTO fleet_totals(name, n) VALUES ('devices', 1) ON CONFLICT (name) DO UPDATE SET n = n + 1;"
        "END;"
        "CREATE TRIGGER IF NOT EXISTS fleet_totals_device_delete AFTER DELETE ON devices BEGIN"
        "  UPDATE fleet_totals SET n = n - 1 WHERE name = 'devices';"
        "END;"
        "DROP TRIGGER IF EXISTS fleet_totals_latest_insert;"
        "CREATE TRIGGER fleet_totals_latest_insert AFTER INSERT ON latest"
        "  WHEN" FLEET_LIVE("new") " BEGIN"
        "  INSERT INTO fleet_totals(name, n) VALUES (new.verdict, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1;"
        "END;"
        "DROP TRIGGER IF EXISTS fleet_totals_latest_update;"
        "CREATE TRIGGER fleet_totals_latest_update AFTER UPDATE OF verdict ON latest"
        "  WHEN old.verdict <> new.verdict AND" FLEET_LIVE("new") " BEGIN"
        "  UPDATE fleet_totals SET n = n - 1 WHERE name = old.verdict;"
        "  INSERT INTO fleet_totals(name, n) VALUES (new.verdict, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1;"
        "END;"
        "DROP TRIGGER IF EXISTS fleet_totals_latest_delete;"
        "CREATE TRIGGER fleet_totals_latest_delete AFTER DELETE ON latest"
        "  WHEN" FLEET_LIVE("old") " BEGIN"
        "  UPDATE fleet_totals SET n = n - 1 WHERE name = old.verdict;"
        "END;"
        "DROP TRIGGER IF EXISTS fleet_hours_insert;"
        "CREATE TRIGGER fleet_hours_insert AFTER INSERT ON latest"
        "  WHEN" FLEET_LIVE("new") " BEGIN" FLEET_HOUR_ADD("new") "END;"
        "DROP TRIGGER IF EXISTS fleet_hours_update;"
        /* Not on received_at: SQLite codes a trigger's WHEN inside its program, which every
         * report's update (naming received_at) would then run (docs/internals/store.md). */
        "CREATE TRIGGER fleet_hours_update AFTER UPDATE OF hour, verdict ON latest"
        "  WHEN (old.hour <> new.hour OR old.verdict <> new.verdict) AND"
        FLEET_LIVE("new") " BEGIN" FLEET_HOUR_TAKE("old") FLEET_HOUR_ADD("new") "END;"
        "DROP TRIGGER IF EXISTS fleet_hours_delete;"
        "CREATE TRIGGER fleet_hours_delete AFTER DELETE ON latest"
        "  WHEN" FLEET_LIVE("old") " BEGIN" FLEET_HOUR_TAKE("old") "END;"
        "DROP TRIGGER IF EXISTS fleet_revoked;"
        "CREATE TRIGGER fleet_revoked AFTER UPDATE OF revoked_at ON devices"
        "  WHEN (old.revoked_at IS NULL) <> (new.revoked_at IS NULL) BEGIN"
        "  INSERT INTO fleet_totals(name, n) SELECT verdict, " FLEET_REVOKED_DELTA("new")
        "    FROM latest WHERE device_id = new.id AND 1 ON CONFLICT (name) DO UPDATE SET n = n + excluded.n;"
        "  INSERT INTO fleet_check_counts(check_id, status, n) SELECT check_id, status, " FLEET_REVOKED_DELTA("new")
        "    FROM latest_checks WHERE device_id = new.id AND 1"
        "    ON CONFLICT (check_id, status) DO UPDATE SET n = n + excluded.n;"
        "  INSERT INTO fleet_hours(hour, verdict, n) SELECT hour, verdict, " FLEET_REVOKED_DELTA("new")
        "    FROM latest WHERE device_id = new.id AND 1"
        "    ON CONFLICT (hour, verdict) DO UPDATE SET n = n + excluded.n;"
        "  DELETE FROM fleet_hours WHERE n = 0;"
        "END;";

#define FLEET_PG_REVOKED_SKIP                                                                      \
        "  IF EXISTS (SELECT 1 FROM devices WHERE id = COALESCE(NEW.device_id, OLD.device_id)"   \
        "    AND revoked_at IS NOT NULL) THEN RETURN NULL; END IF;"

/* PostgreSQL ≥ 14 (CREATE OR REPLACE TRIGGER). An upsert's update fires only the UPDATE
 * trigger, as in SQLite. */
static const char fleet_triggers_postgres[] =
        "CREATE OR REPLACE FUNCTION fleet_counts() RETURNS trigger AS $$ BEGIN"
        "  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN RETURN NULL; END IF;"
        FLEET_PG_REVOKED_SKIP
        "  IF TG_OP IN ('UPDATE', 'DELETE') THEN"
        "    UPDATE fleet_check_counts SET n = n - 1 WHERE check_id = OLD.check_id AND status = OLD.status;"
        "  END IF;"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN"
        "    INSERT INTO fleet_check_counts(check_id, status, n) VALUES (NEW.check_id, NEW.status, 1)"
        "    ON CONFLICT (check_id, status) DO UPDATE SET n = fleet_check_counts.n + 1;"
        "  END IF;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE TRIGGER fleet_counts AFTER INSERT OR DELETE OR UPDATE OF status"
        "  ON latest_checks FOR EACH ROW EXECUTE FUNCTION fleet_counts();"
        "CREATE OR REPLACE FUNCTION fleet_totals_devices() RETURNS trigger AS $$ BEGIN"
        "  INSERT INTO fleet_totals(name, n) VALUES ('devices', CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END)"
        "    ON CONFLICT (name) DO UPDATE SET n = fleet_totals.n + excluded.n;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE TRIGGER fleet_totals AFTER INSERT OR DELETE ON devices"
        "  FOR EACH ROW EXECUTE FUNCTION fleet_totals_devices();"
        "CREATE OR REPLACE FUNCTION fleet_totals_verdict() RETURNS trigger AS $$ BEGIN"
        FLEET_PG_REVOKED_SKIP
        "  IF TG_OP IN ('UPDATE', 'DELETE') THEN"
        "    UPDATE fleet_totals SET n = n - 1 WHERE name = OLD.verdict;"
        "  END IF;"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN"
        "    INSERT INTO fleet_totals(name, n) VALUES (NEW.verdict, 1)"
        "      ON CONFLICT (name) DO UPDATE SET n = fleet_totals.n + 1;"
        "  END IF;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        /* An upsert of latest names verdict even when it keeps it: the WHEN, checked as the
         * row is written, spares a stable report the function's call (issue #17). */
        "CREATE OR REPLACE TRIGGER fleet_totals AFTER INSERT OR DELETE ON latest"
        "  FOR EACH ROW EXECUTE FUNCTION fleet_totals_verdict();"
        "CREATE OR REPLACE TRIGGER fleet_totals_update AFTER UPDATE OF verdict ON latest"
        "  FOR EACH ROW WHEN (OLD.verdict <> NEW.verdict) EXECUTE FUNCTION fleet_totals_verdict();"
        "CREATE OR REPLACE FUNCTION fleet_revoked() RETURNS trigger AS $$ BEGIN"
        "  IF (OLD.revoked_at IS NULL) = (NEW.revoked_at IS NULL) THEN RETURN NULL; END IF;"
        "  INSERT INTO fleet_totals(name, n) SELECT verdict, " FLEET_REVOKED_DELTA("NEW")
        "    FROM latest WHERE device_id = NEW.id"
        "    ON CONFLICT (name) DO UPDATE SET n = fleet_totals.n + excluded.n;"
        "  INSERT INTO fleet_check_counts(check_id, status, n) SELECT check_id, status, " FLEET_REVOKED_DELTA("NEW")
        "    FROM latest_checks WHERE device_id = NEW.id"
        "    ON CONFLICT (check_id, status) DO UPDATE SET n = fleet_check_counts.n + excluded.n;"
        "  INSERT INTO fleet_hours(hour, verdict, n) SELECT hour, verdict, " FLEET_REVOKED_DELTA("NEW")
        "    FROM latest WHERE device_id = NEW.id"
        "    ON CONFLICT (hour, verdict) DO UPDATE SET n = fleet_hours.n + excluded.n;"
        "  DELETE FROM fleet_hours WHERE n = 0;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE FUNCTION fleet_hours() RETURNS trigger AS $$ BEGIN"
        FLEET_PG_REVOKED_SKIP
        "  IF TG_OP IN ('UPDATE', 'DELETE') THEN" FLEET_HOUR_TAKE("OLD") " END IF;"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN" FLEET_HOUR_ADD("NEW") " END IF;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE TRIGGER fleet_hours AFTER INSERT OR DELETE"
        "  ON latest FOR EACH ROW EXECUTE FUNCTION fleet_hours();"
        "CREATE OR REPLACE TRIGGER fleet_hours_update AFTER UPDATE OF hour, verdict ON latest"
        "  FOR EACH ROW WHEN (OLD.hour <> NEW.hour OR OLD.verdict <> NEW.verdict)"
        "  EXECUTE FUNCTION fleet_hours();"
        "CREATE OR REPLACE TRIGGER fleet_revoked AFTER UPDATE OF revoked_at ON devices"
        "  FOR EACH ROW EXECUTE FUNCTION fleet_revoked();"
        /* The statistics of lower(hostname) let the planner estimate q= (LIKE '%…%'): without
         * them it guesses a handful of rows and sorts every non-compliant device instead of
         * walking an index in order to the page's end (1.3 s → 13 ms at a million devices). */
        "CREATE STATISTICS IF NOT EXISTS fleet_latest_hostname ON (lower(hostname)) FROM latest;";

/* A database that had check results before the counters existed, or whose counters
 * are older (not 'fleet_counters' 3 in meta: 2 counted no hours, none counted revoked
 * devices), starts them from a count. */
#define FLEET_COUNTERS_CURRENT "(SELECT 1 FROM meta WHERE key = 'fleet_counters' AND value = '3')"
static const char fleet_backfill_sql[] =
        "DELETE FROM fleet_check_counts WHERE NOT EXISTS " FLEET_COUNTERS_CURRENT ";"
        "DELETE FROM fleet_totals WHERE NOT EXISTS " FLEET_COUNTERS_CURRENT ";"
        "DELETE FROM fleet_hours WHERE NOT EXISTS " FLEET_COUNTERS_CURRENT ";"
        "INSERT INTO fleet_hours(hour, verdict, n) "
        "SELECT l.hour, l.verdict, count(*) FROM latest l JOIN devices d ON d.id = l.device_id "
        "WHERE d.revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM fleet_hours) GROUP BY 1, 2;"
        "INSERT INTO fleet_check_counts(check_id, status, n) "
        "SELECT c.check_id, c.status, count(*) FROM latest_checks c JOIN devices d ON d.id = c.device_id "
        "WHERE d.revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM fleet_check_counts) GROUP BY 1, 2;"
        "INSERT INTO fleet_totals(name, n) SELECT name, n FROM ("
        "SELECT CAST('devices' AS TEXT) AS name, count(*) AS n FROM devices "
        "UNION ALL SELECT l.verdict, count(*) FROM latest l JOIN devices d ON d.id = l.device_id "
        "WHERE d.revoked_at IS NULL GROUP BY l.verdict) t "
        "WHERE NOT EXISTS (SELECT 1 FROM fleet_totals);"
        "INSERT INTO meta(key, value) VALUES ('fleet_counters', '3') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

#define FLEET_POLICY_ADD(row)                                                                      \
        "  INSERT INTO fleet_policy_counts(policy_id, version, n) VALUES (" row ".policy_id, " row ".version, 1)" \
        "    ON CONFLICT (policy_id, version) DO UPDATE SET n = fleet_policy_counts.n + 1;"
#define FLEET_POLICY_TAKE(row)                                                                     \
        "  UPDATE fleet_policy_counts SET n = n - 1 WHERE policy_id = " row ".policy_id"           \
        "    AND version = " row ".version;"                                                       \
        "  DELETE FROM fleet_policy_counts WHERE policy_id = " row ".policy_id"                    \
        "    AND version = " row ".version AND n = 0;"
/* Revoking a device (or lifting its revocation) takes its policy version out of the counts
 * (or puts it back), as for the verdict counters. "AND TRUE": SQLite parses an upsert after
 * a SELECT only with a WHERE. */
#define FLEET_POLICY_REVOKED(row)                                                                  \
        "  INSERT INTO fleet_policy_counts(policy_id, version, n) SELECT policy_id, version, "      \
        FLEET_REVOKED_DELTA(row) " FROM latest_policy WHERE device_id = " row ".id AND TRUE"        \
        "    ON CONFLICT (policy_id, version) DO UPDATE SET n = fleet_policy_counts.n + excluded.n;"  \
        "  DELETE FROM fleet_policy_counts WHERE n = 0;"

/* fleet_policy_counts follows latest_policy, which store-policy.c creates after the fleet
 * schema: its triggers and recount come with it (store_fleet_policy_counts()). */
static const char fleet_policy_triggers_sqlite[] =
        "DROP TRIGGER IF EXISTS fleet_policy_insert;"
        "CREATE TRIGGER fleet_policy_insert AFTER INSERT ON latest_policy"
        "  WHEN" FLEET_LIVE("new") " BEGIN" FLEET_POLICY_ADD("new") "END;"
        "DROP TRIGGER IF EXISTS fleet_policy_update;"
        "CREATE TRIGGER fleet_policy_update AFTER UPDATE OF policy_id, version ON latest_policy"
        "  WHEN (old.policy_id <> new.policy_id OR old.version <> new.version) AND" FLEET_LIVE("new")
        " BEGIN" FLEET_POLICY_TAKE("old") FLEET_POLICY_ADD("new") "END;"
        "DROP TRIGGER IF EXISTS fleet_policy_delete;"
        "CREATE TRIGGER fleet_policy_delete AFTER DELETE ON latest_policy"
        "  WHEN" FLEET_LIVE("old") " BEGIN" FLEET_POLICY_TAKE("old") "END;"
        "DROP TRIGGER IF EXISTS fleet_policy_revoked;"
        "CREATE TRIGGER fleet_policy_revoked AFTER UPDATE OF revoked_at ON devices"
        "  WHEN (old.revoked_at IS NULL) <> (new.revoked_at IS NULL) BEGIN"
        FLEET_POLICY_REVOKED("new") "END;";

static const char fleet_policy_triggers_postgres[] =
        "CREATE OR REPLACE FUNCTION fleet_policy_counts() RETURNS trigger AS $$ BEGIN"
        "  IF TG_OP = 'UPDATE' AND OLD.policy_id = NEW.policy_id AND OLD.version = NEW.version"
        "    THEN RETURN NULL; END IF;"
        FLEET_PG_REVOKED_SKIP
        "  IF TG_OP IN ('UPDATE', 'DELETE') THEN" FLEET_POLICY_TAKE("OLD") " END IF;"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN" FLEET_POLICY_ADD("NEW") " END IF;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE TRIGGER fleet_policy_counts AFTER INSERT OR DELETE OR UPDATE OF policy_id, version"
        "  ON latest_policy FOR EACH ROW EXECUTE FUNCTION fleet_policy_counts();"
        "CREATE OR REPLACE FUNCTION fleet_policy_revoked() RETURNS trigger AS $$ BEGIN"
        "  IF (OLD.revoked_at IS NULL) = (NEW.revoked_at IS NULL) THEN RETURN NULL; END IF;"
        FLEET_POLICY_REVOKED("NEW")
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE TRIGGER fleet_policy_revoked AFTER UPDATE OF revoked_at ON devices"
        "  FOR EACH ROW EXECUTE FUNCTION fleet_policy_revoked();";

/* Counted once from latest_policy when the counts are missing (a database made before
 * them: no 'fleet_policy_counts' 1 in meta). */
#define FLEET_POLICY_COUNTS_CURRENT "(SELECT 1 FROM meta WHERE key = 'fleet_policy_counts' AND value = '1')"
static const char fleet_policy_backfill_sql[] =
        "DELETE FROM fleet_policy_counts WHERE NOT EXISTS " FLEET_POLICY_COUNTS_CURRENT ";"
        "INSERT INTO fleet_policy_counts(policy_id, version, n) "
        "SELECT lp.policy_id, lp.version, count(*) FROM latest_policy lp JOIN devices d ON d.id = lp.device_id "
        "WHERE d.revoked_at IS NULL AND NOT EXISTS " FLEET_POLICY_COUNTS_CURRENT " GROUP BY 1, 2;"
        "INSERT INTO meta(key, value) VALUES ('fleet_policy_counts', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

int store_fleet_policy_counts(Store *s) {
        int r = s->backend->exec(s, streq(s->backend->scheme, "postgres") ? fleet_policy_triggers_postgres
                                                                          : fleet_policy_triggers_sqlite);
        if (r >= 0)
                r = s->backend->exec(s, fleet_policy_backfill_sql);
        if (r < 0 || !streq(s->backend->scheme, "postgres"))
                return r;
        /* A table never analyzed is planned as ten pages (a thousand rows, not a handful):
         * the outdated list's plan then cost enough to be JIT-compiled (78 ms a query). */
        return s->backend->exec(s, "ANALYZE fleet_policy_counts;");
}

/* latest.hour, received_at's hour, counted in fleet_hours: a column of its own so that only
 * the statement that changes it (on SQLite Q_LATEST_UPDATE_HOUR, at a device's first report
 * in an hour) runs the fleet_hours_update trigger, not every report's update. Added to
 * a table without it, and filled, in one transaction before the triggers that read it; the
 * counters then still hold (the old triggers counted received_at / 3600). */
static int fleet_hour_column(Store *s) {
        int r = store_has_column(s, "latest", "hour");

        if (r != 0)
                return r < 0 ? r : 0;
        /* Another process may add it meanwhile (a second instance on PostgreSQL, a
         * vigie-server command on SQLite, both starting after an upgrade). */
        if (streq(s->backend->scheme, "postgres"))
                return s->backend->exec(s, "BEGIN;"
                                           "ALTER TABLE latest ADD COLUMN IF NOT EXISTS hour BIGINT;"
                                           "UPDATE latest SET hour = received_at / 3600 WHERE hour IS NULL;"
                                           "COMMIT;");
        r = s->backend->exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = store_has_column(s, "latest", "hour");
        if (r == 0)
                r = s->backend->exec(s, "ALTER TABLE latest ADD COLUMN hour BIGINT;"
                                        "UPDATE latest SET hour = received_at / 3600;");
        if (r < 0) {
                (void) s->backend->exec(s, "ROLLBACK");
                return r;
        }
        return s->backend->exec(s, "COMMIT");
}

int store_fleet_schema(Store *s) {
        int r = fleet_hour_column(s);
        if (r < 0)
                return r;
        r = s->backend->exec(s, fleet_schema_sql);
        if (r < 0)
                return r;
        r = s->backend->exec(s, streq(s->backend->scheme, "postgres") ? fleet_triggers_postgres
                                                                        : fleet_triggers_sqlite);
        if (r < 0)
                return r;
        r = s->backend->exec(s, fleet_backfill_sql);
        if (r < 0 || !streq(s->backend->scheme, "sqlite"))
                return r; /* PostgreSQL's autovacuum keeps its statistics */
        /* SQLite plans with statistics only after ANALYZE: without them it guesses that
         * any index equality is selective and may sort 50,000 rows to return 100. A
         * sampled ANALYZE (analysis_limit) costs milliseconds whatever the size. */
        return s->backend->exec(s, "PRAGMA analysis_limit=1000; ANALYZE;");
}

/* PostgreSQL: ?q= (a hostname substring, LIKE '%…%') answered by a trigram index instead of
 * walking the device list (164 ms at a million devices for 1,000 matches). pg_trgm ships
 * with PostgreSQL and is a trusted extension (≥ 13): the database's owner may create it.
 * Apart from the schema so that a database without it still serves, slower. */
static const char fleet_trigram_sql[] =
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
        "CREATE INDEX IF NOT EXISTS fleet_latest_hostname_trgm ON latest USING gin (lower(hostname) gin_trgm_ops);";

int store_fleet_trigram_index(Store *s) {
        if (!streq(s->backend->scheme, "postgres"))
                return 0;
        return s->backend->exec(s, fleet_trigram_sql);
}

/* Statement ids: fixed queries here, device-list variants from Q_FLEET_LIST_BASE (one id
 * per distinct SQL text, see list_variant()). Below store.c's own range. */
enum {
        Q_FLEET_SUMMARY = 900,
        Q_FLEET_CHECK_COUNTS,
        Q_FLEET_STALE,
        Q_FLEET_DEVICE,
        Q_FLEET_LATEST_CLAIMS,
        Q_FLEET_HISTORY,
        Q_FLEET_CERTS,
        Q_FLEET_REPORTS,
        Q_FLEET_LIST_BASE = 1000,
};

/* The devices whose latest report named another policy than the current one: the versions
 * fleet_policy_counts has devices of, other than the current one (a handful of rows), each a
 * range of latest_policy(policy_id, version, device_id) read index-only. Four ranges around
 * the current version walked no up-to-date device either, but could not tell which
 * versions had devices, and the planner had no estimate of their size. */
#define CURRENT_POLICY_ID "(SELECT value FROM meta WHERE key = 'policy_id')"
#define CURRENT_POLICY_VERSION "(SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'policy_version')"
#define OUTDATED_VERSION "(pc.policy_id <> " CURRENT_POLICY_ID " OR pc.version <> " CURRENT_POLICY_VERSION ")"
#define OUTDATED_POLICY_DEVICES                                                                    \
        "SELECT lp.device_id FROM fleet_policy_counts pc JOIN latest_policy lp"                    \
        " ON lp.policy_id = pc.policy_id AND lp.version = pc.version WHERE " OUTDATED_VERSION

/* The totals come from fleet_totals and fleet_check_counts, which leave revoked devices
 * out; what is counted is the few (revoked, flagged, pending: partial index scans). */
static const char summary_sql[] =
        "SELECT (SELECT COALESCE(SUM(n), 0) FROM fleet_totals WHERE name = 'devices'),"
        " (SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL),"
        " (SELECT count(*) FROM devices WHERE flagged_at >= $2 AND revoked_at IS NULL),"
        " (SELECT COALESCE(SUM(n), 0) FROM fleet_totals WHERE name = 'compliant'),"
        " (SELECT COALESCE(SUM(n), 0) FROM fleet_totals WHERE name = 'noncompliant'),"
        " (SELECT count(*) FROM devices WHERE last_seq = -1 AND revoked_at IS NULL),"
        " (SELECT count(*) FROM devices WHERE last_seq = -1 AND revoked_at IS NULL"
        "    AND enrolled_at < $1),"
        /* the counts of the outdated versions (counting latest_policy's ranges: 9 ms at a
         * million; walking every device into it: 266 ms) */
        " (SELECT COALESCE(SUM(pc.n), 0) FROM fleet_policy_counts pc WHERE " OUTDATED_VERSION ")";

/* The stale devices that are not revoked, by verdict: taken out of the fresh counts. The
 * hours before the stale bound's from fleet_hours, and the bound's own hour counted: a range
 * of fleet_latest_stale_id of an hour's devices, less the few revoked ids read once into a set
 * (NOT IN: hashed, not a row fetch per device). */
static const char stale_sql[] =
        "SELECT verdict, SUM(n) FROM fleet_hours WHERE hour < $2 GROUP BY verdict"
        " UNION ALL SELECT verdict, count(*) FROM latest WHERE received_at >= $3 AND received_at < $1"
        " AND device_id NOT IN (SELECT id FROM devices WHERE revoked_at IS NOT NULL)"
        " GROUP BY verdict";

static const char check_counts_sql[] =
        "SELECT check_id, status, n FROM fleet_check_counts ORDER BY check_id, status";

#define DEVICE_COLUMNS                                                                     \
        "SELECT d.id, d.enrolled_at, d.revoked_at, d.flagged_at, d.flag_reason, l.seq, "    \
        "l.report_at, l.received_at, l.verdict, l.failing, l.noncompliant_since, "          \
        "l.hostname, l.os_id, l.os_version, l.os_pretty, "                                  \
        "(SELECT lp.policy_id FROM latest_policy lp WHERE lp.device_id = d.id), "            \
        "(SELECT lp.version FROM latest_policy lp WHERE lp.device_id = d.id), "              \
        "(SELECT value FROM meta WHERE key = 'policy_id'), "                                 \
        "(SELECT value FROM meta WHERE key = 'policy_version'), d.key_kind FROM devices d "
#define N_DEVICE_COLUMNS 20

static const char device_sql[] =
        DEVICE_COLUMNS "LEFT JOIN latest l ON l.device_id = d.id WHERE d.id = $1";

static int query(Store *s, unsigned id, const char *sql, const StoreValue *p, size_t n,
                 StoreRowFn fn, void *u) {
        return s->backend->query(s, id, sql, p, n, fn, u);
}

static int64_t col_int(const char *c) {
        int64_t v = 0;
        if (c)
                (void) parse_int64(c, &v); /* our own BIGINT columns */
        return v;
}

void fleet_summary_done(FleetSummary *s) {
        for (size_t i = 0; i < s->n_checks; i++)
                free(s->checks[i].check_id);
        free(s->checks);
        *s = (FleetSummary) {};
}

static int row_summary(const char *const *c, size_t n, void *userdata) {
        FleetSummary *s = userdata;
        int64_t v[8];

        if (n < ELEMENTSOF(v))
                return -EIO;
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                v[i] = col_int(c[i]);
        s->revoked = v[1];
        s->enrolled = v[0] - v[1];
        s->flagged = v[2];
        s->compliant = v[3];
        s->noncompliant = v[4];
        s->stale = v[6];
        s->pending = v[5] - v[6];
        s->policy_outdated = v[7];
        return 0;
}

/* (verdict, n) of stale devices, moved from the fresh counts to the stale one. */
static int row_stale(const char *const *c, size_t n, void *userdata) {
        FleetSummary *s = userdata;
        int64_t k;

        if (n < 2 || !c[0])
                return -EIO;
        k = col_int(c[1]);
        s->stale += k;
        if (streq(c[0], "compliant"))
                s->compliant -= k;
        else
                s->noncompliant -= k;
        return 0;
}

static int row_check_count(const char *const *c, size_t n, void *userdata) {
        FleetSummary *s = userdata;
        CheckStatus st;

        if (n < 3 || !c[0] || !c[1])
                return -EIO;
        st = check_status_from_string(c[1]);
        if (st < 0)
                return 0; /* not a status we know: the ingest validator keeps these out */
        if (s->n_checks == 0 || !streq(s->checks[s->n_checks - 1].check_id, c[0])) {
                FleetCheckCount *a = reallocarray(s->checks, s->n_checks + 1, sizeof(FleetCheckCount));
                if (!a)
                        return -ENOMEM;
                s->checks = a;
                a[s->n_checks] = (FleetCheckCount) { .check_id = strdup(c[0]) };
                if (!a[s->n_checks].check_id)
                        return -ENOMEM;
                s->n_checks++;
        }
        s->checks[s->n_checks - 1].n[st] = col_int(c[2]);
        return 0;
}

int store_fleet_summary(Store *s, const FleetTimes *t, FleetSummary *ret) {
        FleetSummary sum = {};
        int64_t hour = t->stale_before / 3600;
        const StoreValue p[] = { SV_INT(t->stale_before), SV_INT(t->flagged_after) },
                         stale[] = { SV_INT(t->stale_before), SV_INT(hour), SV_INT(hour * 3600) };
        int r;

        r = query(s, Q_FLEET_SUMMARY, summary_sql, p, 2, row_summary, &sum);
        if (r >= 0)
                r = query(s, Q_FLEET_STALE, stale_sql, stale, ELEMENTSOF(stale), row_stale, &sum);
        if (r >= 0)
                r = query(s, Q_FLEET_CHECK_COUNTS, check_counts_sql, NULL, 0, row_check_count, &sum);
        sum.reporting = sum.compliant + sum.noncompliant;
        if (r < 0) {
                fleet_summary_done(&sum);
                return r;
        }
        *ret = sum;
        return 0;
}

const char *fleet_device_verdict(const FleetDevice *d, const FleetTimes *t) {
        if (d->revoked_at)
                return "revoked";
        if (!d->has_report)
                return d->enrolled_at < t->stale_before ? "stale" : "pending";
        if (d->received_at < t->stale_before)
                return "stale";
        return d->verdict;
}

bool fleet_device_flagged(const FleetDevice *d, const FleetTimes *t) {
        return d->flagged_at > 0 && d->flagged_at >= t->flagged_after;
}

typedef struct DeviceRows {
        FleetDeviceFn fn;
        void *userdata;
} DeviceRows;

static int row_device(const char *const *c, size_t n, void *userdata) {
        DeviceRows *rows = userdata;
        FleetDevice d;

        if (n < N_DEVICE_COLUMNS || !c[0])
                return -EIO;
        d = (FleetDevice) {
                .device_id = c[0],
                .enrolled_at = col_int(c[1]),
                .revoked_at = col_int(c[2]),
                .flagged_at = col_int(c[3]),
                .flag_reason = c[4],
                .has_report = !!c[5],
                .seq = col_int(c[5]),
                .report_at = col_int(c[6]),
                .received_at = col_int(c[7]),
                .verdict = c[8],
                .failing = c[9],
                .noncompliant_since = col_int(c[10]),
                .hostname = c[11],
                .os_id = c[12],
                .os_version = c[13],
                .os_pretty = c[14],
                /* the policy the latest report named, and whether it is the current one */
                .policy_id = c[15],
                .policy_version = col_int(c[16]),
                .policy_current = c[15] && streq_ptr(c[15], c[17]) && streq_ptr(c[16], c[18]),
                .key_kind = c[19],
        };
        return rows->fn(&d, rows->userdata);
}

/* Which stale devices a list query returns: all of them, or one of the two kinds, which the
 * list sorted by last report reads one after the other (store_fleet_devices()). */
typedef enum StalePart {
        STALE_ALL,
        STALE_REPORTED, /* a latest report received before the stale bound */
        STALE_PENDING,  /* never reported, enrolled before the stale bound */
} StalePart;

/* One statement id per distinct SQL text: every input that changes the text is a field of
 * this key. */
static unsigned list_variant(const FleetFilter *f, StalePart part) {
        unsigned os = !f->os_id ? 0 : f->os_version ? 2 : 1;
        return (unsigned) f->status | !!f->check << 3 | (f->check_status >= 0) << 4 | os << 5 |
               !!f->hostname_part << 7 | (f->received_since > 0) << 8 | f->after.set << 9 |
               (unsigned) f->sort << 10 | f->descending << 12 | !!f->key_kind << 13 |
               f->policy_outdated << 14 | (unsigned) part << 15;
}

/* "%text%" for LIKE, lower-cased (hostnames compare without case), with LIKE's
 * metacharacters escaped by '\'. */
static char *like_pattern(const char *text) {
        size_t n = strlen(text);
        char *p = malloc(2 * n + 3), *o = p;

        if (!p)
                return NULL;
        *o++ = '%';
        for (; *text; text++) {
                if (*text == '%' || *text == '_' || *text == '\\')
                        *o++ = '\\';
                *o++ = (char) tolower((unsigned char) *text);
        }
        *o++ = '%';
        *o = 0;
        return p;
}

typedef struct SqlBuilder {
        FILE *f;
        char *text;
        size_t size;
        StoreValue params[16];
        size_t n_params;
} SqlBuilder;

/* Appends a parameter; returns its number for "$N". */
static size_t param(SqlBuilder *b, StoreValue v) {
        b->params[b->n_params++] = v;
        return b->n_params;
}

/* policy=outdated: the devices of the outdated versions' ranges of latest_policy. With
 * nothing else to filter on, by device id (page_only: the console's link), only the page's
 * devices, each version's range read from the cursor to the page's end (PostgreSQL: a
 * LATERAL join, which it would not choose: it walked latest_policy's primary key or
 * hashed the whole table), so that the planner looks up limit devices instead of merging
 * the outdated set with the device list (8,450 rows deep for 101 at a million). */
static void outdated_condition(Store *s, SqlBuilder *b, const FleetFilter *f, bool page_only, size_t cur,
                               unsigned limit) {
        const char *dir = f->descending ? "DESC" : "ASC";
        char bounds[160];
        size_t n;

        if (!page_only) {
                fputs("AND d.revoked_at IS NULL AND d.id IN (" OUTDATED_POLICY_DEVICES ") ", b->f);
                return;
        }
        n = param(b, SV_INT(limit));
        if (cur)
                snprintf(bounds, sizeof(bounds), " AND lp.device_id %s $%zu", f->descending ? "<" : ">", cur);
        else
                bounds[0] = 0;
        if (streq(s->backend->scheme, "postgres"))
                fprintf(b->f, "AND d.revoked_at IS NULL AND d.id IN (SELECT o.device_id FROM fleet_policy_counts pc "
                              "CROSS JOIN LATERAL (SELECT lp.device_id FROM latest_policy lp "
                              "WHERE lp.policy_id = pc.policy_id AND lp.version = pc.version"
                              " AND lp.device_id NOT IN (SELECT id FROM devices WHERE revoked_at IS NOT NULL)%s"
                              " ORDER BY lp.device_id %s LIMIT $%zu) o WHERE " OUTDATED_VERSION
                              " ORDER BY o.device_id %s LIMIT $%zu) ",
                        bounds, dir, n, dir, n);
        else
                fprintf(b->f, "AND d.revoked_at IS NULL AND d.id IN (" OUTDATED_POLICY_DEVICES
                              " AND lp.device_id NOT IN (SELECT id FROM devices WHERE revoked_at IS NOT NULL)%s"
                              " ORDER BY lp.device_id %s LIMIT $%zu) ",
                        bounds, dir, n);
}

/* Runs one device-list query: at most limit rows to rows' callback; returns how many. */
static int fleet_devices_query(Store *s, const FleetFilter *f, const FleetTimes *t, StalePart part,
                               unsigned limit, DeviceRows *rows) {
        static const char *const sort_key[_FLEET_SORT_MAX] = {
                [FLEET_SORT_DEVICE] = NULL,
                [FLEET_SORT_HOSTNAME] = "COALESCE(l.hostname, '')",
                [FLEET_SORT_LAST_REPORT] = "COALESCE(l.received_at, 0)",
                [FLEET_SORT_NONCOMPLIANT_SINCE] = "COALESCE(l.noncompliant_since, 0)",
        };
        SqlBuilder b = {};
        _cleanup_free_ char *pattern = NULL;
        const char *key = sort_key[f->sort], *dir = f->descending ? "DESC" : "ASC", *id;
        /* an inner join when a condition needs the latest report anyway */
        bool inner = f->status == FLEET_STATUS_COMPLIANT || f->status == FLEET_STATUS_NONCOMPLIANT ||
                     f->os_id || f->hostname_part || f->received_since > 0 || part == STALE_REPORTED;
        size_t cur = 0; /* the cursor's parameter number, for a sort by device id */
        int r;

        /* Order by the id of the table the planner walks, so that an index gives the order
         * and LIMIT stops the walk early (SQLite does not carry an order across a join's
         * equality). With the latest report certain, received_at is never NULL and its
         * index (verdict, received_at) gives that order too. */
        id = f->check ? "c.device_id" : inner ? "l.device_id" : "d.id";
        if (inner && f->sort == FLEET_SORT_LAST_REPORT)
                key = "l.received_at";

        b.f = open_memstream(&b.text, &b.size);
        if (!b.f)
                return -ENOMEM;
        /* A device-id cursor bounds every side of the joins (all equal to d.id), not only
         * the walked one: PostgreSQL does not carry an inequality across a join's
         * equality, and would read each other index from its start (page 20 of a million
         * devices: 570 ms instead of 45; each export page 1.1 s). For the LEFT join the
         * bound goes in its ON clause, which keeps devices without a report. */
        if (f->after.set && !key)
                cur = param(&b, SV_TEXT(f->after.device_id));
        fprintf(b.f, DEVICE_COLUMNS "%s JOIN latest l ON l.device_id = d.id ", inner ? "" : "LEFT");
        if (cur)
                fprintf(b.f, "AND l.device_id %s $%zu ", f->descending ? "<" : ">", cur);
        if (f->check) {
                fprintf(b.f, "JOIN latest_checks c ON c.device_id = d.id AND c.check_id = $%zu ",
                        param(&b, SV_TEXT(f->check)));
                if (f->check_status >= 0)
                        fprintf(b.f, "AND c.status = $%zu ",
                                param(&b, SV_TEXT(check_status_to_string(f->check_status))));
        }
        fputs("WHERE 1 = 1 ", b.f);
        switch (f->status) {
        case FLEET_STATUS_COMPLIANT:
        case FLEET_STATUS_NONCOMPLIANT:
                /* "+": freshness is checked row by row, so the planner walks an index in
                 * the requested order (verdict, device_id or received_at) and stops at
                 * the limit instead of sorting every fresh device of that verdict */
                fprintf(b.f, "AND d.revoked_at IS NULL AND l.verdict = '%s' AND +l.received_at >= $%zu ",
                        f->status == FLEET_STATUS_COMPLIANT ? "compliant" : "noncompliant",
                        param(&b, SV_INT(t->stale_before)));
                break;
        case FLEET_STATUS_STALE: {
                size_t n = param(&b, SV_INT(t->stale_before));
                if (part == STALE_REPORTED)
                        fprintf(b.f, "AND d.revoked_at IS NULL AND l.received_at < $%zu ", n);
                else if (part == STALE_PENDING)
                        fprintf(b.f, "AND d.revoked_at IS NULL AND d.last_seq = -1 AND d.enrolled_at < $%zu ", n);
                else /* by the two indexes that find stale devices, not a scan of all */
                        fprintf(b.f, "AND d.revoked_at IS NULL AND d.id IN (SELECT device_id FROM latest "
                                     "WHERE received_at < $%zu UNION ALL SELECT id FROM devices "
                                     "WHERE last_seq = -1 AND enrolled_at < $%zu) ", n, n);
                break;
        }
        case FLEET_STATUS_FLAGGED:
                fprintf(b.f, "AND d.revoked_at IS NULL AND d.flagged_at >= $%zu ",
                        param(&b, SV_INT(t->flagged_after)));
                break;
        case FLEET_STATUS_REVOKED:
                fputs("AND d.revoked_at IS NOT NULL ", b.f);
                break;
        default:
                break;
        }
        if (f->os_id) {
                fprintf(b.f, "AND l.os_id = $%zu ", param(&b, SV_TEXT(f->os_id)));
                if (f->os_version)
                        fprintf(b.f, "AND l.os_version = $%zu ", param(&b, SV_TEXT(f->os_version)));
        }
        if (f->hostname_part) {
                pattern = like_pattern(f->hostname_part);
                if (!pattern) {
                        fclose(b.f);
                        free(b.text);
                        return -ENOMEM;
                }
                fprintf(b.f, "AND lower(l.hostname) LIKE $%zu ESCAPE '\\' ", param(&b, SV_TEXT(pattern)));
        }
        if (f->received_since > 0)
                fprintf(b.f, "AND l.received_at >= $%zu ", param(&b, SV_INT(f->received_since)));
        if (f->key_kind)
                fprintf(b.f, "AND d.key_kind = $%zu ", param(&b, SV_TEXT(f->key_kind)));
        if (f->policy_outdated)
                outdated_condition(s, &b, f, !key && !inner && f->status == FLEET_STATUS_ANY && !f->check &&
                                                     !f->key_kind,
                                   cur, limit);
        if (f->after.set) {
                const char *op = f->descending ? "<" : ">";
                if (!key) {
                        fprintf(b.f, "AND d.id %s $%zu ", op, cur);
                        if (f->check)
                                fprintf(b.f, "AND c.device_id %s $%zu ", op, cur);
                } else {
                        size_t k = param(&b, fleet_sort_is_text(f->sort) ? SV_TEXT(f->after.key_text)
                                                                         : SV_INT(f->after.key_int));
                        /* the first bound alone is one an index range starts from */
                        fprintf(b.f, "AND %s %s= $%zu AND (%s %s $%zu OR (%s = $%zu AND %s %s $%zu)) ", key,
                                op, k, key, op, k, key, k, id, op, param(&b, SV_TEXT(f->after.device_id)));
                }
        }
        if (key)
                fprintf(b.f, "ORDER BY %s %s, %s %s ", key, dir, id, dir);
        else
                fprintf(b.f, "ORDER BY %s %s ", id, dir);
        fprintf(b.f, "LIMIT $%zu", param(&b, SV_INT(limit)));
        if (fclose(b.f) != 0) {
                free(b.text);
                return -ENOMEM;
        }
        r = query(s, Q_FLEET_LIST_BASE + list_variant(f, part), b.text, b.params, b.n_params,
                  row_device, rows);
        free(b.text);
        return r;
}

int store_fleet_devices(Store *s, const FleetFilter *f, const FleetTimes *t, FleetDeviceFn fn,
                        void *userdata) {
        DeviceRows rows = { fn, userdata };
        const StalePart parts[2] = { f->descending ? STALE_REPORTED : STALE_PENDING,
                                     f->descending ? STALE_PENDING : STALE_REPORTED };
        bool started = !f->after.set;
        int n = 0;

        if (f->status != FLEET_STATUS_STALE || f->sort != FLEET_SORT_LAST_REPORT)
                return fleet_devices_query(s, f, t, STALE_ALL, f->limit + 1, &rows);
        /* Stale, by last report: the devices that reported walk fleet_latest_stale_id in
         * order to the page's end, and the never-reported ones (last report 0: first
         * ascending, last descending) are read before or after them, each kind with the
         * cursor if it is in that kind, from its start if the cursor was in the one
         * before. One query over both would sort every stale device (0.9 s at a million):
         * PostgreSQL does not merge a UNION's ordered index walks. */
        for (size_t i = 0; i < ELEMENTSOF(parts) && (unsigned) n <= f->limit; i++) {
                FleetFilter part = *f;
                int r;

                part.after.set = f->after.set && (parts[i] == STALE_PENDING) == (f->after.key_int == 0);
                if (!started && !part.after.set)
                        continue;
                started = true;
                r = fleet_devices_query(s, &part, t, parts[i], f->limit + 1 - (unsigned) n, &rows);
                if (r < 0)
                        return r;
                n += r;
        }
        return n;
}

int store_fleet_device(Store *s, const char *device_id, FleetDeviceFn fn, void *userdata) {
        DeviceRows rows = { fn, userdata };
        const StoreValue p[] = { SV_TEXT(device_id) };
        int r = query(s, Q_FLEET_DEVICE, device_sql, p, 1, row_device, &rows);
        return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

static int row_first_str(const char *const *c, size_t n, void *userdata) {
        char **ret = userdata;
        if (n < 1 || !c[0])
                return -EIO;
        free(*ret);
        *ret = strdup(c[0]);
        return *ret ? 0 : -ENOMEM;
}

int store_fleet_latest_claims(Store *s, const char *device_id, char **ret_claims) {
        _cleanup_free_ char *body = NULL;
        const StoreValue p[] = { SV_TEXT(device_id) };
        int r = query(s, Q_FLEET_LATEST_CLAIMS,
                      "SELECT r.jws FROM latest l JOIN reports r ON r.device_id = l.device_id "
                      "AND r.seq = l.seq WHERE l.device_id = $1",
                      p, 1, row_first_str, &body);
        if (r < 0)
                return r;
        if (!body)
                return -ENOENT;
        return store_body_claims(s, body, ret_claims);
}

typedef struct HistoryRows {
        FleetHistoryFn fn;
        void *userdata;
} HistoryRows;

static int row_history(const char *const *c, size_t n, void *userdata) {
        HistoryRows *h = userdata;
        if (n < 4)
                return -EIO;
        return h->fn(&(FleetHistory) { .check_id = c[0], .status = c[1],
                                       .changed_at = col_int(c[2]), .seq = col_int(c[3]) },
                     h->userdata);
}

int store_fleet_history(Store *s, const char *device_id, unsigned max, FleetHistoryFn fn,
                        void *userdata) {
        HistoryRows h = { fn, userdata };
        const StoreValue p[] = { SV_TEXT(device_id), SV_INT(max) };
        int r = query(s, Q_FLEET_HISTORY,
                      "SELECT check_id, status, changed_at, seq FROM check_history "
                      "WHERE device_id = $1 ORDER BY seq DESC, check_id LIMIT $2",
                      p, 2, row_history, &h);
        return r < 0 ? r : 0;
}

typedef struct CertRows {
        FleetCertFn fn;
        void *userdata;
} CertRows;

static int row_cert(const char *const *c, size_t n, void *userdata) {
        CertRows *cr = userdata;
        if (n < 7)
                return -EIO;
        return cr->fn(&(FleetCert) { .serial = c[0], .fingerprint = c[1],
                                     .not_before = col_int(c[2]), .not_after = col_int(c[3]),
                                     .issued_at = col_int(c[4]), .revoked_at = col_int(c[5]),
                                     .pem = c[6] },
                      cr->userdata);
}

int store_fleet_certificates(Store *s, const char *device_id, FleetCertFn fn, void *userdata) {
        CertRows cr = { fn, userdata };
        const StoreValue p[] = { SV_TEXT(device_id) };
        int r = query(s, Q_FLEET_CERTS,
                      "SELECT serial, fingerprint, not_before, not_after, issued_at, revoked_at, pem "
                      "FROM certificates WHERE device_id = $1 ORDER BY issued_at, serial",
                      p, 1, row_cert, &cr);
        return r < 0 ? r : 0;
}

typedef struct ReportRows {
        Store *store;
        FleetReportFn fn;
        void *userdata;
} ReportRows;

static int row_report(const char *const *c, size_t n, void *userdata) {
        ReportRows *rr = userdata;
        _cleanup_free_ char *jws = NULL;
        int r;

        if (n < 6 || !c[3] || !c[4])
                return -EIO;
        if (c[3][0]) { /* "" once retention pruned the body */
                r = store_body_jws(rr->store, c[3], &jws);
                if (r < 0)
                        return r;
        }
        return rr->fn(&(FleetReport) { .seq = col_int(c[0]), .iat = col_int(c[1]),
                                       .received_at = col_int(c[2]), .jws = jws, .hash = c[4],
                                       .prev = c[5] },
                      rr->userdata);
}

int store_fleet_reports(Store *s, const char *device_id, int64_t from, int64_t to, int64_t after_seq,
                        unsigned limit, FleetReportFn fn, void *userdata) {
        ReportRows rr = { s, fn, userdata };
        const StoreValue p[] = { SV_TEXT(device_id), SV_INT(from), SV_INT(to ? to : INT64_MAX),
                                 SV_INT(after_seq), SV_INT(limit) };
        /* By the primary key, in seq order from the cursor: "+iat" keeps the planner off
         * the (device_id, iat) index, with which every batch of a page sorted the device's
         * whole time window again (SQLite picked it once ANALYZE had run). */
        int r = query(s, Q_FLEET_REPORTS,
                      "SELECT seq, iat, received_at, jws, hash, prev FROM reports WHERE device_id = $1 "
                      "AND +iat >= $2 AND +iat < $3 AND seq > $4 ORDER BY seq LIMIT $5",
                      p, ELEMENTSOF(p), row_report, &rr);
        return r < 0 ? r : 0;
}
