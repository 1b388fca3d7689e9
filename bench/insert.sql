\set bid random(1, 1000000000)
INSERT INTO bench_inserts (bid, abalance, filler) VALUES (:bid, :bid, 'pgbench single-row insert');
