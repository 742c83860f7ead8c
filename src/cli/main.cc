// The one `rota` binary.
#include "cli/commands.h"

int main(int argc, char** argv) { return rota::RotaMain(argc, argv); }
