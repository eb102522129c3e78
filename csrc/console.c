/* _clusupgrade.stdin_is_terminal(): whether a person can answer a prompt.
 *
 * On Windows isatty() is true for every character device, NUL included,
 * so a scheduled task with stdin from NUL would look interactive; only a
 * real console accepts GetConsoleMode. */
#include <Python.h>

#ifdef _WIN32
#  include "platform.h"
#else
#  include <unistd.h>
#endif

#include "module.h"

PyObject *
cu_stdin_is_terminal(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
#ifdef _WIN32
    DWORD mode;
    HANDLE input = GetStdHandle(STD_INPUT_HANDLE);

    return PyBool_FromLong(input != NULL && input != INVALID_HANDLE_VALUE
                           && GetConsoleMode(input, &mode));
#else
    return PyBool_FromLong(isatty(STDIN_FILENO));
#endif
}
