-- SPDX-License-Identifier: MIT
-- A synthetic fleet of :n devices in a vigie-server PostgreSQL database whose schema the
-- server created (tests/bench/fleet-pg.py): each device enrolled, with its latest report
-- (a stand-in JWS of realistic shape: the fleet queries never verify it), its check
-- results, history and latest state, written set-wise with generate_series (the server
-- counts its fleet counters at its next start). Statuses: pass 80 %, warn 5 %, fail 10 %,
-- unknown 4 %, error 1 %, independently per check; 95 % of devices reported within the
-- hour, the rest 4–240 h ago.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
BEGIN;
-- No trigger runs for this session's rows (superuser: the bench's user is postgres). The
-- server's triggers keep counters and alert events one report at a time; here they would
-- update each counter row once per device in this one transaction, where none of a row's
-- versions can be pruned before the commit, so that each update walks all the earlier
-- ones (latest_policy's alone ran for more than 28 minutes at a million devices).
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE g ON COMMIT DROP AS
SELECT i, md5('device' || i)::uuid::text AS id, lpad(to_hex(i), 32, '0') AS serial,
       format('laptop-%s', lpad(i::text, 7, '0')) AS hostname,
       (ARRAY['debian', 'debian', 'ubuntu', 'ubuntu'])[1 + i % 4] AS os_id,
       (ARRAY['12', '13', '24.04', '22.04'])[1 + i % 4] AS os_version,
       CASE WHEN abs(hashint4(i)) % 100 < 95 THEN :now - (ARRAY[60, 600, 1800, 3000])[1 + abs(hashint4(i + 7)) % 4]
            ELSE :now - 3600 * (4 + abs(hashint4(i + 11)) % 237) END AS last
FROM generate_series(1, :n) i;
CREATE TEMP TABLE gc ON COMMIT DROP AS
SELECT g.i, g.id, c.check_id,
       CASE WHEN h < 80 THEN 'pass' WHEN h < 85 THEN 'warn' WHEN h < 95 THEN 'fail'
            WHEN h < 99 THEN 'unknown' ELSE 'error' END AS status
FROM g CROSS JOIN (VALUES (1, 'backup'), (2, 'disk_encryption'), (3, 'patch_level')) c(k, check_id),
     LATERAL (SELECT abs(hashint4(g.i * 3 + c.k)) % 100 AS h) s;
CREATE TEMP TABLE gr ON COMMIT DROP AS
SELECT g.*, string_agg(gc.check_id, ',' ORDER BY gc.check_id)
              FILTER (WHERE gc.status NOT IN ('pass', 'warn')) AS failing,
       json_build_object('sub', g.id, 'iat', g.last, 'seq', 1, 'prev', NULL,
                         'host', json_build_object('hostname', g.hostname),
                         'policy', json_build_object('id', 'default', 'version', 1),
                         'compliant', bool_and(gc.status IN ('pass', 'warn')),
                         'checks', json_agg(json_build_object('id', gc.check_id, 'status', gc.status,
                                                              'summary', gc.check_id || ' ' || gc.status)))::text AS claims
FROM g JOIN gc USING (i, id) GROUP BY g.i, g.id, g.serial, g.hostname, g.os_id, g.os_version, g.last;
CREATE TEMP TABLE gj ON COMMIT DROP AS
SELECT gr.*, 'eyJhbGciOiJFUzI1NiJ9.' || translate(encode(convert_to(claims, 'UTF8'), 'base64'), E'+/=\n', '-_')
             || '.c2ln' AS jws
FROM gr;
INSERT INTO devices(id, cert_serial, cert_fingerprint, cert_not_before, cert_not_after, key_kind, enrolled_at,
                    revoked_at, flagged_at, last_seq, last_hash)
SELECT id, serial, serial || serial, :now - 30 * 86400, :now + 60 * 86400,
       CASE WHEN abs(hashint4(i + 19)) % 50 = 0 THEN 'tpm' ELSE 'file' END, :now - 30 * 86400,
       CASE WHEN abs(hashint4(i + 13)) % 200 = 0 THEN :now - 3600 END,
       CASE WHEN abs(hashint4(i + 17)) % 200 = 0 THEN :now - 7200 END, 1, encode(sha256(convert_to(jws, 'UTF8')), 'hex')
FROM gj;
INSERT INTO certificates(serial, role, subject, device_id, fingerprint, not_before, not_after, issued_at)
SELECT serial, 'device', id, id, serial || serial, :now - 30 * 86400, :now + 60 * 86400, :now - 30 * 86400 FROM g;
INSERT INTO reports(device_id, seq, iat, received_at, hash, prev, gap, compliant, cert_serial, jws)
SELECT id, 1, last, last, encode(sha256(convert_to(jws, 'UTF8')), 'hex'), NULL, 0, CASE WHEN failing IS NULL THEN 1 ELSE 0 END,
       serial, jws
FROM gj;
INSERT INTO check_results(device_id, seq, check_id, status, summary)
SELECT id, 1, check_id, status, check_id || ' ' || status FROM gc;
INSERT INTO check_history(device_id, check_id, seq, changed_at, status)
SELECT gc.id, gc.check_id, 1, g.last, gc.status FROM gc JOIN g USING (i);
INSERT INTO latest_checks(device_id, check_id, status, since, seq)
SELECT gc.id, gc.check_id, gc.status, g.last, 1 FROM gc JOIN g USING (i);
INSERT INTO latest(device_id, seq, report_at, received_at, verdict, failing, noncompliant_since, hostname, os_id,
                   os_version, os_pretty, hour)
SELECT id, 1, last, last, CASE WHEN failing IS NULL THEN 'compliant' ELSE 'noncompliant' END, failing,
       CASE WHEN failing IS NOT NULL THEN last END, hostname, os_id, os_version, os_id || ' ' || os_version,
       last / 3600
FROM gr;
-- the policy each latest report named: 1 in 100 devices on an older version
INSERT INTO latest_policy(device_id, policy_id, version)
SELECT id, 'default', CASE WHEN abs(hashint4(i + 23)) % 100 = 0 THEN 0 ELSE 1 END FROM g;
-- The counters are left for the server to count at its next start, as for a database
-- made before them (store-fleet.c): the bench cannot count otherwise than the server.
DELETE FROM meta WHERE key IN ('fleet_counters', 'fleet_policy_counts');
COMMIT;
VACUUM ANALYZE;
SELECT id FROM devices ORDER BY id OFFSET (:n / 2) LIMIT 1;
