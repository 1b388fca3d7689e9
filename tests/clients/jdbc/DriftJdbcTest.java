// pgJDBC against a real DriftDB server: connection, metadata of results,
// prepared statements past pgJDBC's switch to server-side prepares and
// binary transfer (prepareThreshold, 5 executions), transactions with
// named portals across Sync, errors with SQLSTATE, and time travel.
// Run by scripts/client-tests.sh: java -cp postgresql.jar DriftJdbcTest.java URL
import java.math.BigDecimal;
import java.sql.*;
import java.time.*;
import java.util.UUID;

public class DriftJdbcTest {
    static int checks = 0;

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError("failed: " + what);
        checks++;
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String table = "jdbc_" + Long.toHexString(System.nanoTime());
        try (Connection c = DriverManager.getConnection(url, "driftdb", "")) {
            DatabaseMetaData md = c.getMetaData();
            check(md.getDatabaseMajorVersion() >= 16, "server version 16+");
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + table + " (id int primary key, name text, amount numeric(10,2), "
                        + "at timestamptz, day date, flag boolean, big bigint, u uuid, f double precision)");
            }
            // Ten executions: past prepareThreshold, pgJDBC prepares on the
            // server and reads results in binary.
            try (PreparedStatement ins = c.prepareStatement(
                    "INSERT INTO " + table + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < 10; i++) {
                    ins.setInt(1, i);
                    ins.setString(2, "name" + i);
                    ins.setBigDecimal(3, new BigDecimal("12.34").add(BigDecimal.valueOf(i)));
                    ins.setObject(4, OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
                    ins.setObject(5, LocalDate.of(2024, 5, 6));
                    ins.setBoolean(6, i % 2 == 0);
                    ins.setLong(7, 9_000_000_000L + i);
                    ins.setObject(8, new UUID(0, i));
                    ins.setDouble(9, i + 0.5);
                    check(ins.executeUpdate() == 1, "insert count");
                }
            }
            try (PreparedStatement get = c.prepareStatement("SELECT * FROM " + table + " WHERE id = ?")) {
                for (int i = 0; i < 10; i++) {
                    get.setInt(1, i);
                    try (ResultSet rs = get.executeQuery()) {
                        check(rs.next(), "row " + i);
                        check(rs.getInt("id") == i, "id");
                        check(rs.getString("name").equals("name" + i), "name");
                        check(rs.getBigDecimal("amount").compareTo(new BigDecimal("12.34").add(BigDecimal.valueOf(i))) == 0, "numeric");
                        check(rs.getObject("at", OffsetDateTime.class).toInstant()
                                .equals(Instant.parse("2024-01-02T03:04:05Z")), "timestamptz");
                        check(rs.getObject("day", LocalDate.class).equals(LocalDate.of(2024, 5, 6)), "date");
                        check(rs.getBoolean("flag") == (i % 2 == 0), "bool");
                        check(rs.getLong("big") == 9_000_000_000L + i, "bigint");
                        check(rs.getObject("u", UUID.class).equals(new UUID(0, i)), "uuid");
                        check(rs.getDouble("f") == i + 0.5, "float8");
                        ResultSetMetaData rmd = rs.getMetaData();
                        check(rmd.getColumnType(3) == Types.NUMERIC, "numeric type");
                        check(rmd.getPrecision(3) == 10 && rmd.getScale(3) == 2, "numeric typmod");
                        check(!rs.next(), "one row");
                    }
                }
            }
            // A transaction: a fetch size makes pgJDBC use a named portal and
            // fetch it in pieces across Sync.
            c.setAutoCommit(false);
            try (PreparedStatement all = c.prepareStatement("SELECT id FROM " + table + " ORDER BY id")) {
                all.setFetchSize(3);
                int n = 0;
                try (ResultSet rs = all.executeQuery()) {
                    while (rs.next()) {
                        check(rs.getInt(1) == n, "portal row order");
                        n++;
                    }
                }
                check(n == 10, "all rows through the portal");
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET name = 'x' WHERE id = 1");
                try {
                    s.executeQuery("SELECT * FROM nope");
                    check(false, "undefined table must fail");
                } catch (SQLException e) {
                    check("42P01".equals(e.getSQLState()), "42P01");
                }
                try {
                    s.executeQuery("SELECT 1");
                    check(false, "aborted block must fail");
                } catch (SQLException e) {
                    check("25P02".equals(e.getSQLState()), "25P02");
                }
            }
            c.rollback();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT name FROM " + table + " WHERE id = 1")) {
                check(rs.next() && rs.getString(1).equals("name1"), "rollback undid the update");
            }
            // Time travel.
            long before;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT drift_seq()")) {
                rs.next();
                before = rs.getLong(1);
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM " + table);
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " FOR SYSTEM_TIME AS OF @SEQ:" + before)) {
                    rs.next();
                    check(rs.getLong(1) == 10, "past rows");
                }
            }
            // Arrays: java.sql.Array both ways, past the switch to binary.
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + table + "_arr (id int primary key, nums int[], tags text[])");
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + table + "_arr VALUES (?, ?, ?)")) {
                ins.setInt(1, 1);
                ins.setArray(2, c.createArrayOf("int4", new Integer[] {1, null, 3}));
                ins.setArray(3, c.createArrayOf("text", new String[] {"a b", "", "x"}));
                ins.executeUpdate();
            }
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT nums, tags FROM " + table + "_arr WHERE id = ANY(?)")) {
                q.setArray(1, c.createArrayOf("int4", new Integer[] {1, 2}));
                for (int i = 0; i < 7; i++) {
                    try (ResultSet rs = q.executeQuery()) {
                        check(rs.next(), "array row");
                        Integer[] nums = (Integer[]) rs.getArray(1).getArray();
                        check(nums.length == 3 && nums[0] == 1 && nums[1] == null && nums[2] == 3, "int[]");
                        String[] tags = (String[]) rs.getArray(2).getArray();
                        check(tags.length == 3 && tags[0].equals("a b") && tags[1].isEmpty(), "text[]");
                    }
                }
            }
        }
        System.out.println("jdbc: " + checks + " checks passed");
    }
}
