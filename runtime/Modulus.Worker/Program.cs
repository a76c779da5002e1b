// A worker process of a Modulus host; see Modulus.Runtime.Isolation.ModulusWorker.
using Modulus.Runtime.Llama;

return await Modulus.Runtime.Isolation.ModulusWorker.RunAsync(args, services => services.AddGgufModules());
