from chartgen.check.coverage import render_markdown

print(render_markdown(), end="")
