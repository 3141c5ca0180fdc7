// MathJax 3 configuration, read by assets/mathjax/tex-chtml-full.js (bundled: no CDN).
// Lesson pages (notebooks) keep their math as $...$ and $$...$$; Markdown pages get
// \(...\) and \[...\] from pymdownx.arithmatex. Code blocks are never typeset.
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"],
  },
};
