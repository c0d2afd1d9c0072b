import dk.tilmelding.Answer;
import dk.tilmelding.Index;
import dk.tilmelding.Material;
import dk.tilmelding.RecipientKind;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.List;

/**
 * The Java rows of {@code cargo bench --bench languages}: the same lookups
 * as the Rust row through the Java binding, JNA or FFM as the runtime
 * chooses ({@link Index#implementation()}), timed as a caller writes them.
 *
 * <pre>java Timing INDEX MATERIAL YYYYMMDD NUMBERS.bin RECIPIENTS.txt</pre>
 *
 * Prints one JSON object per call ({@code text}, {@code number},
 * {@code batch}) with the nanoseconds per answer of one timed pass, after
 * untimed passes that warm the JIT and fold the answers into a checksum as
 * the C row does.
 */
public final class Timing {
    private static long fold(long sum, Answer a) {
        return sum + ((long) a.result().code() << 16 | a.channel().code() << 8 | a.reason().code());
    }

    private static void report(String call, long nanos, int count, long checksum) {
        System.out.printf("{\"language\": \"Java (%s)\", \"call\": \"%s\", \"ns\": %.3f, \"count\": %d, \"checksum\": %d}%n",
                Index.implementation().toUpperCase(), call, (double) nanos / count, count, checksum);
    }

    public static void main(String[] args) throws IOException {
        String material = args[1];
        int day = Integer.parseInt(args[2]);
        LocalDate date = LocalDate.of(day / 10000, day / 100 % 100, day % 100);
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(Paths.get(args[3]))).order(ByteOrder.LITTLE_ENDIAN);
        long[] numbers = new long[raw.remaining() / 8];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = raw.getLong();
        }
        List<String> recipients = Files.readAllLines(Paths.get(args[4]));
        int n = numbers.length;
        try (Index index = Index.open(args[0])) {
            long sum = 0;
            for (int pass = 0; pass < 3; pass++) {
                sum = 0;
                for (String r : recipients) {
                    sum = fold(sum, index.lookup(material, r, date));
                }
            }
            long start = System.nanoTime();
            for (String r : recipients) {
                index.lookup(material, r, date);
            }
            report("text", System.nanoTime() - start, n, sum);

            Material m = index.material(material);
            for (int pass = 0; pass < 3; pass++) {
                sum = 0;
                for (long number : numbers) {
                    sum = fold(sum, index.lookup(m, RecipientKind.CPR, number, date));
                }
            }
            start = System.nanoTime();
            for (long number : numbers) {
                index.lookup(m, RecipientKind.CPR, number, date);
            }
            report("number", System.nanoTime() - start, n, sum);

            for (int pass = 0; pass < 3; pass++) {
                sum = 0;
                for (Answer a : index.lookupBatch(material, RecipientKind.CPR, numbers, date)) {
                    sum = fold(sum, a);
                }
            }
            start = System.nanoTime();
            index.lookupBatch(material, RecipientKind.CPR, numbers, date);
            report("batch", System.nanoTime() - start, n, sum);
        }
    }
}
