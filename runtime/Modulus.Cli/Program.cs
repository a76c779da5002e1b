using Modulus.Cli;

return await ModulusCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
