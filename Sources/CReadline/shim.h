// GNU readline and history, for the REPL. Linking it makes the qd binary GPL-3.0-or-later.
#include <stdio.h>
#include <stdlib.h>
#include <readline/readline.h>
#include <readline/history.h>
