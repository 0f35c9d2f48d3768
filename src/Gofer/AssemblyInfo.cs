using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Csrunsc.Tests")]
