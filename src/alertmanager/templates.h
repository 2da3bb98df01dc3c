// Notification templates: Alertmanager's template.Data model (Alerts.Firing, GroupLabels.
// SortedPairs, CommonLabels.Remove...), its functions, a default template set (the parts of
// upstream's default.tmpl that the email and slack defaults use), and the config's `templates`
// files, on the shared Go text/template engine (src/template).
// Thread-safety: the returned TemplateFn is safe to call from several threads.
#pragma once

#include "alertmanager/config.h"
#include "alertmanager/notify.h"
#include "template/template.h"

namespace sremon::alertmanager {

// Builds the renderer for a config: parses the default templates, the `templates` files
// (globs relative to the config file's directory) and every template string of the receivers.
// Errors name the file (and the engine's line:col).
Result<TemplateFn> BuildTemplates(const Config& config);

// template.Data for a notification.
tmpl::Value TemplateData(const NotifyData& data);

}  // namespace sremon::alertmanager
