using System.CommandLine;
using System.Text.Json;
using Modulus.Client.Keys;
using Modulus.Registry.Chain;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus chain up|down</c>: the local development chain with the registry's contracts.</summary>
internal static class ChainCommand
{
    /// <summary>The passphrase of the development accounts' keystores: they are Anvil's public test keys, not secrets.</summary>
    public const string DevPassphrase = "dev";

    public static Command Create(CliOutput output, Func<KeyRing> keyRing)
    {
        var command = new Command("chain", "The local development chain (Anvil) with the registry's contracts.");
        command.Subcommands.Add(Up(output, keyRing));
        command.Subcommands.Add(Down(output));
        command.Subcommands.Add(Fund(output));
        return command;
    }

    private static Command Up(CliOutput output, Func<KeyRing> keyRing)
    {
        var port = new Option<int>("--port") { Description = "The RPC port on 127.0.0.1.", DefaultValueFactory = _ => 8545 };
        var cooldown = new Option<int>("--unstake-cooldown") { Description = "Seconds an unstake waits before withdrawal (set at deployment).", DefaultValueFactory = _ => 120 };
        var json = CommonOptions.Json();
        var command = new Command("up", "Start Anvil on 127.0.0.1 (state kept on disk), deploy the contracts once, and print the funded development accounts.")
        {
            port, cooldown, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(port) is < 1 or > 65535)
            {
                return output.Usage($"--port {parse.GetValue(port)} is not a port; use 1-65535");
            }

            if (parse.GetValue(cooldown) < 0)
            {
                return output.Usage($"--unstake-cooldown {parse.GetValue(cooldown)} must be zero or more seconds");
            }

            var options = new DevChainOptions { Port = parse.GetValue(port), UnstakeCooldown = TimeSpan.FromSeconds(parse.GetValue(cooldown)) };
            DevChainStatus status;
            try
            {
                status = await DevChain.UpAsync(options, new Progress<string>(line => output.Error.WriteLine(line)), cancellationToken).ConfigureAwait(false);
            }
            catch (DeploymentException ex)
            {
                return output.Usage(ex.Message);
            }

            var accounts = ImportDevKeys(keyRing());
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        rpcUrl = status.RpcUrl,
                        chainId = status.Deployment.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        token = status.Deployment.Token,
                        registry = status.Deployment.Registry,
                        staking = status.Deployment.Staking,
                        block = (long)status.Deployment.Block,
                        pid = status.Pid,
                        accounts = accounts.Select(a => new { key = a.Name, address = a.Address }),
                    },
                    CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"Chain {status.Deployment.ChainId} on {status.RpcUrl} (pid {status.Pid}, {(status.Started ? "started" : "already running")}; state in {status.StateFile})");
            output.Out.WriteLine($"Contracts {(status.Deployed ? "deployed" : "already deployed")} at block {status.Deployment.Block}:");
            var contracts = new TableWriter("CONTRACT", "ADDRESS");
            contracts.Add("GPTToken", status.Deployment.Token);
            contracts.Add("ModuleRegistry", status.Deployment.Registry);
            contracts.Add("ModuleStaking", status.Deployment.Staking);
            contracts.Write(output.Out);
            output.Out.WriteLine();
            output.Out.WriteLine($"Funded development accounts (10,000 ETH and 1,000,000 $GPT each), in `modulus keys` with passphrase \"{DevPassphrase}\":");
            var table = new TableWriter("KEY", "ADDRESS");
            foreach (var account in accounts)
            {
                table.Add(account.Name, account.Address);
            }

            table.Write(output.Out);
            output.Out.WriteLine("Stop it with `modulus chain down`.");
            return 0;
        });
        return command;
    }

    private static Command Down(CliOutput output)
    {
        var command = new Command("down", "Stop the development chain; its state stays on disk for the next `chain up`.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var pid = await DevChain.DownAsync(new DevChainOptions(), cancellationToken).ConfigureAwait(false);
            output.Out.WriteLine(pid is null ? "No development chain is running." : $"Stopped the development chain (pid {pid}).");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Sends ETH from a development account, so that a host's own key (which alone may redeem its
    /// paid calls' vouchers) can pay the gas: a new host key holds nothing.
    /// </summary>
    private static Command Fund(CliOutput output)
    {
        var address = new Argument<string?>("ADDRESS") { Description = "The account to fund; defaults to this host's (the key in Modulus:Identity:KeyFile, default $MODULUS_HOME/host.key).", Arity = ArgumentArity.ZeroOrOne };
        var eth = new Option<decimal>("--eth") { Description = "How much ETH to send.", DefaultValueFactory = _ => 10m };
        var keyFile = new Option<string?>("--host-key") { Description = "The host's key file, when ADDRESS is not given." };
        var json = CommonOptions.Json();
        var access = new RegistryAccess();
        var command = new Command("fund", "Send ETH from the development account dev0 to an address, by default this host's, so that it can pay gas (to redeem vouchers).") { address, eth, keyFile, json };
        access.AddChainOptions(command);
        command.SetAction((parse, ct) => ChainAction.RunAsync(output, async () =>
        {
            var amount = parse.GetValue(eth);
            if (amount <= 0 || amount > 1000)
            {
                return output.Usage($"--eth {amount} must be more than 0 and at most 1000");
            }

            string to;
            if (parse.GetValue(address) is { } given)
            {
                if (!Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(given))
                {
                    return output.Usage($"ADDRESS \"{given}\" is not an address (0x and 40 hex digits)");
                }

                to = given;
            }
            else
            {
                var path = parse.GetValue(keyFile) ?? new Modulus.Hosting.ModulusIdentityOptions { KeyFile = CliConfiguration.Build()["Modulus:Identity:KeyFile"] }.KeyFilePath();
                if (!File.Exists(path))
                {
                    return output.Usage($"no host key at {path} yet: `modulus serve` makes one on its first start; or pass ADDRESS");
                }

                to = new Nethereum.Signer.EthECKey(PayCommands.ReadHostKey(path), isPrivate: true).GetPublicAddress();
            }

            var (deployment, rpcUrl) = access.Chain(parse);
            var web3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(AnvilNode.DevPrivateKeys[0], deployment.ChainId), rpcUrl);
            web3.TransactionManager.UseLegacyAsDefault = true;
            var receipt = await web3.Eth.GetEtherTransferService().TransferEtherAndWaitForReceiptAsync(to, amount, cancellationToken: ct).ConfigureAwait(false);
            var balance = Nethereum.Web3.Web3.Convert.FromWei((await web3.Eth.GetBalance.SendRequestAsync(to).ConfigureAwait(false)).Value);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(new { address = to, sent = amount, balance, transaction = receipt.TransactionHash }, CliJson.Options));
            }
            else
            {
                output.Out.WriteLine($"Sent {amount} ETH to {to} (now {balance:0.####} ETH) in {receipt.TransactionHash}");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Puts Anvil's funded accounts into the key ring as dev0..devN, once.</summary>
    private static IReadOnlyList<KeyInfo> ImportDevKeys(KeyRing ring)
    {
        var existing = ring.List().ToDictionary(k => k.Name, StringComparer.Ordinal);
        var accounts = new List<KeyInfo>();
        for (var i = 0; i < AnvilNode.DevPrivateKeys.Count; i++)
        {
            var name = $"dev{i}";
            accounts.Add(existing.TryGetValue(name, out var key) ? key : ring.ImportPrivateKey(name, AnvilNode.DevPrivateKeys[i], DevPassphrase));
        }

        return accounts;
    }
}
