/* flowmage deploy — placeholder until its stage lands. */
#include <stdio.h>

#include "cli.h"

int fm_cmd_deploy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "flowmage: deploy: not built yet\n");
    return FM_EXIT_INPUT;
}
