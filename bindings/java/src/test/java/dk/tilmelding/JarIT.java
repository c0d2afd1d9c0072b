package dk.tilmelding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The packed jar, as a user's project gets it: the library it loads (the
 * copy it carries, or -Dtilmelding.library.path), every row of
 * tests/data/lookups.tsv one by one and in batches, and a missing file.
 * Run by failsafe once per way of loading the library (pom.xml).
 */
class JarIT {
    private static Path fixture() {
        String fixture = System.getProperty("tilmelding.fixture", "");
        assertFalse(fixture.isEmpty(), "run with -Dtilmelding.fixture=INDEX (an index of tests/data)");
        return Paths.get(fixture);
    }

    /** Rows of lookups.tsv: material, recipient, date, expected answer. */
    private static List<String[]> rows() throws IOException {
        Path table = Paths.get(System.getProperty("tilmelding.root"), "tests/data/lookups.tsv");
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(table)) {
            if (!line.startsWith("#") && !line.trim().isEmpty()) {
                rows.add(line.split("\t"));
            }
        }
        assertTrue(rows.size() > 20, "lookups.tsv has too few rows");
        return rows;
    }

    private static String answer(Index index, String material, String recipient, LocalDate date) {
        try {
            return index.lookup(material, recipient, date).toString();
        } catch (TilmeldingException e) {
            return "error " + e.code().text();
        }
    }

    @Test
    void theLibraryComesFromWhereItWasAskedFor() {
        String expected = System.getProperty("tilmelding.expect.origin");
        assertTrue(Index.libraryVersion().length() > 0);
        assertEquals(System.getProperty("tilmelding.expect.implementation"), Index.implementation());
        String origin = NativeLoader.origin();
        assertTrue(origin.startsWith(expected + ": "), "loaded from " + origin + ", expected " + expected);
        // The jar carries the library either way.
        if (expected.equals("jar")) {
            assertTrue(JarIT.class.getResource("/dk/tilmelding/native/linux-x86_64/libtilmelding.so") != null);
        }
    }

    @Test
    void everyRowOfTheTable() throws IOException {
        try (Index index = Index.open(fixture())) {
            for (String[] row : rows()) {
                LocalDate date = LocalDate.parse(row[2]);
                assertEquals(row[3], answer(index, row[0], row[1], date), String.join(" ", row));
            }
        }
    }

    @Test
    void batchesAgreeWithSingleLookups() throws IOException {
        try (Index index = Index.open(fixture())) {
            int checked = 0;
            for (String[] row : rows()) {
                String digits = row[1].replace("-", "").replaceFirst("^(DK|dk) ?", "");
                if (!digits.matches("[0-9]{8}|[0-9]{10}")) {
                    continue;
                }
                RecipientKind kind = digits.length() == 10 ? RecipientKind.CPR : RecipientKind.CVR;
                LocalDate date = LocalDate.parse(row[2]);
                String batch;
                try {
                    batch = index.lookupBatch(row[0], kind, new long[] {Long.parseLong(digits)}, date)[0].toString();
                } catch (TilmeldingException e) {
                    batch = "error " + e.code().text();
                }
                assertEquals(answer(index, row[0], row[1], date), batch, String.join(" ", row));
                checked++;
            }
            assertTrue(checked > 10);
        }
    }

    @Test
    void aMissingFileIsAnErrorNamingIt() {
        TilmeldingException e = assertThrows(TilmeldingException.class, () -> Index.open("/nonexistent/index.tlm"));
        assertEquals(ResultCode.IO, e.code());
        assertTrue(e.getMessage().contains("/nonexistent/index.tlm"), e.getMessage());
    }
}
