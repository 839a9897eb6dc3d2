/* SPDX-License-Identifier: MIT */
#ifndef MMKIT_TOOL_REPLAY_HTML_H
#define MMKIT_TOOL_REPLAY_HTML_H
#include <mmkit/replay.h>
/* mmk_replay_file with an HTML report written to @html */
int replay_with_html(const char *file, struct mmk_replay_opts *o, const char *html);
#endif
