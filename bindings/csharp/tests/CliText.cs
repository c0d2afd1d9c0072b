// Answers as the CLI prints them, for the check programs that print
// answers: channels and reasons by the library's names (Names.Text),
// result codes in snake case.
using Tilmelding;

internal static class CliText
{
    /// `channel reason`, or `error code`.
    internal static string Text(Tilmelding.Answer a)
    {
        return a.IsOk ? a.Channel.Text() + " " + a.Reason.Text() : "error " + Snake(a.Result.ToString());
    }

    /// `NotRegistered` -> `not_registered`, `StaleIndex` -> `stale_index`.
    internal static string Snake(string name)
    {
        System.Text.StringBuilder b = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                b.Append('_');
            }
            b.Append(char.ToLowerInvariant(name[i]));
        }
        return b.ToString();
    }
}
