\set aid random(1, 100000)
SELECT abalance FROM bench_accounts FOR SYSTEM_TIME AS OF @SEQ:3 WHERE aid = :aid;
