// The `rota` command line: verbs, their flags and help (DESIGN section 4). Main thread.
#pragma once

namespace rota {

// Parses argv, runs the verb and returns the process exit code.
int RotaMain(int argc, char** argv);

}  // namespace rota
