using System.Runtime.CompilerServices;

// The gas report drives the call escrow through the same internal access the tests use, rather than
// a second copy of its bindings.
[assembly: InternalsVisibleTo("Modulus.Benchmarks.Registry")]
