using System.CommandLine;
using System.Text.Json;
using Modulus.Modules;

namespace Modulus.Cli.Commands;

/// <summary>
/// <c>modulus pack [DIR] [--out FILE]</c>: writes a module's deterministic package and prints its
/// sha256, the content hash the chain records and <c>modulus info</c> shows.
/// </summary>
internal static class PackCommand
{
    public static Command Create(CliOutput output)
    {
        var directory = new Argument<string>("dir") { Description = "The module's folder (with its module.json).", DefaultValueFactory = _ => "." };
        var outFile = new Option<string?>("--out") { Description = "Write the package to this file (a ustar archive, see the README); without it only the hash is printed." };
        var json = CommonOptions.Json();
        var command = new Command("pack", "Pack a module deterministically and print its content hash (the sha256 the chain records).") { directory, outFile, json };
        command.SetAction(parse =>
        {
            var folder = Path.GetFullPath(parse.GetValue(directory)!);
            ModulePackage package;
            try
            {
                package = ModulePackage.Pack(folder);
            }
            catch (ModuleManifestException ex)
            {
                return output.Usage($"{ex.Path}: {ex.Message}");
            }
            catch (ModulePackageException ex)
            {
                return output.Usage(ex.Message);
            }

            if (parse.GetValue(outFile) is { } file)
            {
                var path = Path.GetFullPath(file);
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    var temporary = path + ".partial";
                    File.WriteAllBytes(temporary, package.Bytes);
                    File.Move(temporary, path, overwrite: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return output.Failure($"cannot write {path}: {ex.Message}");
                }
            }

            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        name = package.Manifest.Name?.Value,
                        version = package.Manifest.Version.Value,
                        sha256 = package.Sha256,
                        size = package.Bytes.Length,
                        packageUri = package.Uri,
                        file = parse.GetValue(outFile) is { } f ? Path.GetFullPath(f) : null,
                        files = package.Files,
                    },
                    CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"sha256:{package.Sha256}  {package.Manifest.Name?.Value ?? Path.GetFileName(folder)}@{package.Manifest.Version}  {package.Files.Count} files, {package.Bytes.Length:N0} bytes"
                + (parse.GetValue(outFile) is { } written ? $"  -> {Path.GetFullPath(written)}" : string.Empty));
            return 0;
        });
        return command;
    }
}
