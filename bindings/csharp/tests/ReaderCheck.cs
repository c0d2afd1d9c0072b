// Follows a replaced index through the `Reader` API. Reads one command per
// line on stdin and answers each with one line on stdout, so that the test
// can rename files between commands (see `follow_a_replaced_index`).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Tilmelding;
using Index = Tilmelding.Index;
using static CliText;

internal static class ReaderCheck
{
    private static readonly DateTime Day = new DateTime(2026, 11, 22);
    private static Reader reader;
    private static Index pinned;

    private static int Main()
    {
        UTF8Encoding utf8 = new UTF8Encoding(false);
        TextReader input = new StreamReader(Console.OpenStandardInput(), utf8);
        StreamWriter output = new StreamWriter(Console.OpenStandardOutput(), utf8);
        output.AutoFlush = true;
        string line;
        while ((line = input.ReadLine()) != null)
        {
            int space = line.IndexOf(' ');
            string command = space < 0 ? line : line.Substring(0, space);
            string arg = space < 0 ? "" : line.Substring(space + 1);
            if (command == "quit")
            {
                return 0;
            }
            string answer;
            try
            {
                answer = Run(command, arg);
            }
            catch (TilmeldingException e)
            {
                answer = "error " + Snake(e.Code.ToString()) + ": " + e.Message;
            }
            catch (Exception e)
            {
                answer = "exception " + e.GetType().Name + ": " + e.Message;
            }
            output.WriteLine(answer.Replace('\n', ' '));
        }
        return 1;
    }

    private static string Run(string command, string arg)
    {
        switch (command)
        {
            case "open":
                Reader opened = Reader.Open(arg);
                if (reader != null)
                {
                    reader.Dispose();
                }
                reader = opened;
                return "ok";
            case "lookup":
                return Text(reader.Lookup("100", "0101901234", Day));
            case "batch":
                Answer[] answers = reader.LookupBatch("100", RecipientKind.Cpr, new ulong[] { 101901234, 202902345 }, Day);
                return Text(answers[0]) + ", " + Text(answers[1]);
            case "refresh":
                return reader.Refresh() ? "true" : "false";
            case "pin":
                if (pinned != null)
                {
                    pinned.Dispose();
                }
                pinned = reader.Current();
                return pinned.SnapshotId;
            case "pinned":
                return Text(pinned.Lookup("100", "0101901234", Day));
            case "current":
                using (Index index = reader.Current())
                {
                    return index.SnapshotId;
                }
            case "current-lookup":
                using (Index index = reader.Current())
                {
                    return Text(index.Lookup("100", "0101901234", Day));
                }
            case "max-age":
                reader.SetMaxAge(MaxAge(arg));
                return "ok";
            case "index-max-age":
                using (Index index = reader.Current())
                {
                    index.SetMaxAge(MaxAge(arg));
                }
                return "ok";
            case "every":
                reader.RefreshEvery(TimeSpan.FromMilliseconds(double.Parse(arg, CultureInfo.InvariantCulture)));
                return "ok";
            case "error":
                string error = reader.RefreshError;
                return error == null ? "none" : "some " + error;
            case "close":
                return Close();
            case "unreferenced":
                return Unreferenced(arg);
            default:
                return "unknown command " + command;
        }
    }

    private static TimeSpan? MaxAge(string arg)
    {
        if (arg == "off")
        {
            return null;
        }
        return TimeSpan.FromSeconds(double.Parse(arg, CultureInfo.InvariantCulture));
    }

    /// Disposes the reader while other threads look up on it: each call either
    /// completes or throws ObjectDisposedException, never crashes. Then every
    /// method must throw ObjectDisposedException.
    private static string Close()
    {
        Reader r = reader;
        long calls = 0;
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        r.LookupBatch("100", RecipientKind.Cpr, new ulong[] { 101901234, 202902345 }, Day);
                        r.Lookup("100", "0101901234", Day);
                        try
                        {
                            r.Refresh();
                        }
                        catch (TilmeldingException)
                        {
                            // No file at the path: the reader keeps serving.
                        }
                        Interlocked.Increment(ref calls);
                    }
                }
                catch (ObjectDisposedException)
                {
                }
            });
            threads[t].Start();
        }
        while (Interlocked.Read(ref calls) < 200)
        {
            Thread.Sleep(1);
        }
        r.Dispose();
        r.Dispose();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        List<Action> calls_after = new List<Action>
        {
            () => r.Lookup("100", "0101901234", Day),
            () => r.LookupBatch("100", RecipientKind.Cpr, new ulong[1], Day),
            () => r.Refresh(),
            () => r.RefreshEvery(TimeSpan.FromSeconds(1)),
            () => { string unused = r.RefreshError; },
            () => r.SetMaxAge(null),
            () => r.Current().Dispose(),
        };
        SortedSet<string> thrown = new SortedSet<string>();
        foreach (Action call in calls_after)
        {
            try
            {
                call();
                thrown.Add("nothing");
            }
            catch (Exception e)
            {
                thrown.Add(e.GetType().Name);
            }
        }
        return "closed " + string.Join(",", thrown);
    }

    /// Opens readers with a background refresh and drops them undisposed: the
    /// finalizer closes them, which stops their refresh threads.
    private static string Unreferenced(string path)
    {
        int before = RefreshThreads();
        OpenAndDrop(path, 3);
        // A new thread names itself when it starts: wait for the names.
        int during = RefreshThreads();
        for (int i = 0; i < 100 && during < before + 3; i++)
        {
            Thread.Sleep(20);
            during = RefreshThreads();
        }
        int after = during;
        for (int i = 0; i < 100 && after != before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(50);
            after = RefreshThreads();
        }
        return before + " " + during + " " + after;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OpenAndDrop(string path, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Reader.Open(path).RefreshEvery(TimeSpan.FromMilliseconds(20));
        }
    }

    /// The threads of this process that are background refreshes (Linux).
    private static int RefreshThreads()
    {
        int n = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("tilmelding-ref"))
                {
                    n++;
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return n;
    }
}
