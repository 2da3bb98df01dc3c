// Checks for values that come from a dashboard model (anyone who can save or import a dashboard
// writes them) before they reach a style or an href. Text always goes in through textContent or
// setAttribute (panels/common.ts el()); these two cover the places where a value is interpreted.

// The CSS named colours (CSS Color Module Level 4), which Grafana also accepts.
const CSS_COLOR_NAMES = new Set(
  ('aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown burlywood ' +
    'cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray ' +
    'darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen ' +
    'darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue ' +
    'firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray grey green greenyellow honeydew ' +
    'hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan ' +
    'lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray ' +
    'lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue ' +
    'mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred ' +
    'midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid ' +
    'palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple ' +
    'rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue ' +
    'slateblue slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white ' +
    'whitesmoke yellow yellowgreen transparent').split(' '),
);

const HEX = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
// rgb()/rgba()/hsl()/hsla() with numeric arguments only (comma or space syntax, optional
// "/ alpha", percentages and hue units): nothing that could end the value or load a URL.
const FUNC = /^(?:rgba?|hsla?)\(\s*[-+]?[\d.]+(?:%|deg|rad|grad|turn)?(?:\s*[,/\s]\s*[-+]?[\d.]+%?){2,3}\s*\)$/i;

// The colour as CSS understands it when it is a hex, rgb(a)/hsl(a) or CSS named colour, else null.
export function cssColor(c: unknown): string | null {
  if (typeof c !== 'string') return null;
  const s = c.trim();
  if (s.length > 64) return null;
  if (HEX.test(s) || FUNC.test(s)) return s;
  const lower = s.toLowerCase();
  return CSS_COLOR_NAMES.has(lower) ? lower : null;
}

// The href for a link from a dashboard: http(s), or relative to this app (path, query or
// fragment). Anything with another scheme (javascript:, data:, vbscript:...) is null. Browsers
// drop tabs and newlines inside URLs and spaces and controls around them, so the scheme is
// read with those removed ("java\tscript:" is javascript:).
export function safeHref(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  const href = url.trim();
  if (!href) return null;
  const bare = href.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([^/?#]*):/.exec(bare);
  if (scheme && !/^https?$/i.test(scheme[1])) return null;
  return href;
}
