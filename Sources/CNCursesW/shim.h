#ifndef HEPSCOPE_CNCURSESW_SHIM_H
#define HEPSCOPE_CNCURSESW_SHIM_H
// SwiftPM drops pkg-config's -D flags, so wide-character support is switched on here,
// before the header, or cchar_t, get_wch and WACS_* are missing.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>
#endif
