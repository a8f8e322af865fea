/* SPDX-License-Identifier: GPL-2.0 */
/* The one version number of the whole kit; the Makefile reads it too. */
#ifndef _TKCORE_VERSION_H
#define _TKCORE_VERSION_H

#define TK_VERSION "0.1.0"

#endif /* _TKCORE_VERSION_H */
