\set aid random(1, 100000)
SELECT abalance FROM bench_accounts WHERE aid = :aid;
