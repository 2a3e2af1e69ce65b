#ifndef HEPSCOPE_CNCURSESW_SHIM_H
#define HEPSCOPE_CNCURSESW_SHIM_H
// SwiftPM drops pkg-config's -D flags, so wide-character support is switched on here,
// before the header, or cchar_t, get_wch and WACS_* are missing.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// Macros and globals that do not import into Swift (or that Swift 6 rejects as shared
// mutable state), wrapped as inline functions.
static inline WINDOW *hs_stdscr(void) { return stdscr; }
static inline int hs_lines(void) { return LINES; }
static inline int hs_cols(void) { return COLS; }
static inline int hs_colors(void) { return COLORS; }
static inline void hs_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }
static inline attr_t hs_a_normal(void) { return A_NORMAL; }
static inline attr_t hs_a_bold(void) { return A_BOLD; }
static inline attr_t hs_a_reverse(void) { return A_REVERSE; }
static inline attr_t hs_a_underline(void) { return A_UNDERLINE; }
static inline attr_t hs_a_dim(void) { return A_DIM; }
static inline int hs_key_f(int n) { return KEY_F(n); }
static inline const char *hs_codeset(void) { return nl_langinfo(CODESET); }

// Draws one cell: up to CCHARW_MAX wide characters (a base and its combining marks) with
// attributes and a colour pair, at an explicit position so a width disagreement with the
// terminal never shifts the rest of the row.
static inline int hs_put_cell(int y, int x, const wchar_t *chars, int count, attr_t attrs, short pair) {
    wchar_t buffer[CCHARW_MAX + 1];
    int n = count < CCHARW_MAX ? count : CCHARW_MAX;
    for (int i = 0; i < n; i++) buffer[i] = chars[i];
    buffer[n] = L'\0';
    cchar_t cell;
    if (setcchar(&cell, buffer, attrs, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cell);
}
#endif
