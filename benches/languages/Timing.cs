// The C# row of `cargo bench --bench languages`: the same lookups as the
// Rust row through bindings/csharp/Tilmelding.cs, on Mono, timed as a
// caller writes them.
//
//   mono Timing.exe INDEX MATERIAL YYYYMMDD NUMBERS.bin RECIPIENTS.txt
//
// Prints one JSON object per call (text, number, batch) with the
// nanoseconds per answer of one timed pass, after untimed passes that warm
// the JIT and fold the answers into a checksum as the C row does.

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Tilmelding;
using Index = Tilmelding.Index;

public static class Timing
{
    static ulong Fold(ulong sum, Answer a)
    {
        return sum + ((ulong)a.Result << 16 | (ulong)a.Channel << 8 | (ulong)a.Reason);
    }

    static void Report(string call, Stopwatch watch, int count, ulong checksum)
    {
        double ns = watch.Elapsed.Ticks * (1e9 / TimeSpan.TicksPerSecond) / count;
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "{{\"language\": \"C# (Mono)\", \"call\": \"{0}\", \"ns\": {1:F3}, \"count\": {2}, \"checksum\": {3}}}",
            call, ns, count, checksum));
    }

    public static void Main(string[] args)
    {
        string material = args[1];
        int day = int.Parse(args[2], CultureInfo.InvariantCulture);
        DateTime date = new DateTime(day / 10000, day / 100 % 100, day % 100);
        byte[] raw = File.ReadAllBytes(args[3]);
        ulong[] numbers = new ulong[raw.Length / 8];
        for (int i = 0; i < numbers.Length; i++)
        {
            numbers[i] = BitConverter.ToUInt64(raw, i * 8);
        }
        string[] recipients = File.ReadAllLines(args[4]);
        int n = numbers.Length;
        using (Index index = Index.Open(args[0]))
        {
            ulong sum = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                sum = 0;
                foreach (string r in recipients) sum = Fold(sum, index.Lookup(material, r, date));
            }
            Stopwatch watch = Stopwatch.StartNew();
            foreach (string r in recipients) index.Lookup(material, r, date);
            watch.Stop();
            Report("text", watch, n, sum);

            Material m = index.ResolveMaterial(material);
            for (int pass = 0; pass < 2; pass++)
            {
                sum = 0;
                foreach (ulong number in numbers) sum = Fold(sum, index.Lookup(m, RecipientKind.Cpr, number, date));
            }
            watch = Stopwatch.StartNew();
            foreach (ulong number in numbers) index.Lookup(m, RecipientKind.Cpr, number, date);
            watch.Stop();
            Report("number", watch, n, sum);

            sum = 0;
            foreach (Answer a in index.LookupBatch(material, RecipientKind.Cpr, numbers, date)) sum = Fold(sum, a);
            watch = Stopwatch.StartNew();
            index.LookupBatch(material, RecipientKind.Cpr, numbers, date);
            watch.Stop();
            Report("batch", watch, n, sum);
        }
    }
}
