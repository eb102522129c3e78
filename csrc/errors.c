/* The system's own text for a Win32 error code. */
#include <Python.h>

#include "module.h"
#include "platform.h"

#ifdef _WIN32
static PyObject *
system_message(DWORD code)
{
    wchar_t *text = NULL;
    DWORD len;
    PyObject *result;

    /* No inserts: messages with %1 placeholders would otherwise read
     * uninitialised arguments. */
    len = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER
                             | FORMAT_MESSAGE_FROM_SYSTEM
                             | FORMAT_MESSAGE_IGNORE_INSERTS,
                         NULL, code, 0, (LPWSTR)&text, 0, NULL);
    if (len == 0 || text == NULL) {
        Py_RETURN_NONE;
    }
    /* The system ends its messages with ".\r\n". */
    while (len > 0 && (text[len - 1] == L'\r' || text[len - 1] == L'\n'
                       || text[len - 1] == L' ')) {
        len--;
    }
    result = PyUnicode_FromWideChar(text, (Py_ssize_t)len);
    LocalFree(text);
    return result;
}
#endif

PyObject *
cu_format_message(PyObject *Py_UNUSED(module), PyObject *arg)
{
    unsigned long code = PyLong_AsUnsignedLong(arg);

    if (code == (unsigned long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    if (code > 0xFFFFFFFFUL) {
        PyErr_SetString(PyExc_OverflowError, "a Win32 error code is 32 bits");
        return NULL;
    }
#ifdef _WIN32
    return system_message((DWORD)code);
#else
    /* Only Windows has the message tables; the Python layer has its own. */
    Py_RETURN_NONE;
#endif
}
