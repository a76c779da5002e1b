using System.CommandLine;
using Modulus.Runtime.Tree;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus new NAME --lang csharp|python</c>: scaffolds a module that serves as it is.</summary>
internal static class NewCommand
{
    public static Command Create(CliOutput output)
    {
        var name = new Argument<string>("name") { Description = "The module's dotted name, e.g. text.summarize (its folder is text/summarize)." };
        var language = new Option<string>("--lang") { Description = "csharp or python.", DefaultValueFactory = _ => "csharp" };
        language.AcceptOnlyFromAmong("csharp", "python");
        var into = new Option<string>("--into") { Description = "The module tree to create it in.", DefaultValueFactory = _ => "modules" };
        var command = new Command("new", "Create a new module folder with a manifest and a working forward endpoint.") { name, language, into };
        command.SetAction(parse =>
        {
            try
            {
                var directory = ModuleScaffolder.Create(parse.GetValue(into)!, parse.GetValue(name)!, parse.GetValue(language)!);
                output.Out.WriteLine($"Created {parse.GetValue(name)} ({parse.GetValue(language)}) in {directory}");
                output.Out.WriteLine($"Serve it with `modulus serve {parse.GetValue(into)}`, then `modulus call {parse.GetValue(name)} \"hello world\"`.");
                return 0;
            }
            catch (ArgumentException ex)
            {
                return output.Usage(ex.Message);
            }
        });
        return command;
    }
}
