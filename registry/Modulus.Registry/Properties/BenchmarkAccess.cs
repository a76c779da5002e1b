using System.Runtime.CompilerServices;

// The gas report drives the call escrow through the same internal access the tests use, rather than
// a second copy of its bindings.
[assembly: InternalsVisibleTo("Modulus.Benchmarks.Registry")]
// The CLI is the composition root that shows the contracts' raw outputs (positions, votes) in its
// tables; the functional tests drive the same paths. Nobody else sees Nethereum's message types.
[assembly: InternalsVisibleTo("modulus")]
[assembly: InternalsVisibleTo("Modulus.FunctionalTests")]
