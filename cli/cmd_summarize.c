/* flowmage summarize — placeholder until its stage lands. */
#include <stdio.h>

#include "cli.h"

int fm_cmd_summarize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "flowmage: summarize: not built yet\n");
    return FM_EXIT_INPUT;
}
