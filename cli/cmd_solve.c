/* flowmage solve — placeholder until its stage lands. */
#include <stdio.h>

#include "cli.h"

int fm_cmd_solve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "flowmage: solve: not built yet\n");
    return FM_EXIT_INPUT;
}
