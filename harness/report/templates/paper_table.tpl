{#- The html_table template of the paper tables' pandas Styler (harness.report.tables.to_html; rendered in
    pandas' own jinja2 environment, which does not escape: every value arrives escaped). Styler's table with
    the table's own attributes (class, id) and no generated ids, and a class per body row (row_classes, the
    row's status) on its <tr> where given. Whitespace control by hand: that environment does not trim blocks. -#}
<table {{ table_attributes }}>
<caption>{{ caption }}</caption>
<thead>
{% for r in head -%}
<tr>{% for c in r if c.is_visible != False %}<th class="{{ c.class }}">{{ c.display_value }}</th>{% endfor %}</tr>
{% endfor -%}
</thead>
<tbody>
{% for r in body -%}
<tr{% if row_classes %} class="{{ row_classes[loop.index0] }}"{% endif %}>
  {%- for c in r if c.is_visible != False %}<td class="{{ c.class }}">{{ c.display_value }}</td>{% endfor -%}
</tr>
{% endfor -%}
</tbody>
</table>
