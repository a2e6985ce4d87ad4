{#-
  Wilson score interval bound of a proportion successes / trials:
    (p + z^2/(2n) +- z * sqrt(p(1 - p)/n + z^2/(4n^2))) / (1 + z^2/n)
  side = -1 for the lower bound, +1 for the upper one; null when trials = 0.
  Unlike p +- z*sqrt(p(1-p)/n) it stays inside [0, 1] and is honest for small
  n and for p near 0 or 1 (clamping only removes floating-point dust).
-#}
{% macro cm_wilson_bound(successes, trials, side, z=none) %}
    {{ return(adapter.dispatch('cm_wilson_bound', 'classifier_monitor')(successes, trials, side, z)) }}
{% endmacro %}

{% macro default__cm_wilson_bound(successes, trials, side, z=none) -%}
    {%- set z = z if z is not none else cm_config('wilson_z') -%}
    {%- set n = 'cast(' ~ trials ~ ' as ' ~ cm_type_double() ~ ')' -%}
    {%- set p = 'cast(' ~ successes ~ ' as ' ~ cm_type_double() ~ ') / ' ~ n -%}
    case
        when ({{ trials }}) > 0 then
            least(1, greatest(0,
                (({{ p }}) + {{ z }} * {{ z }} / (2 * {{ n }})
                    {{ '-' if side < 0 else '+' }} {{ z }} * sqrt(({{ p }}) * (1 - ({{ p }})) / {{ n }} + {{ z }} * {{ z }} / (4 * {{ n }} * {{ n }})))
                / (1 + {{ z }} * {{ z }} / {{ n }})
            ))
    end
{%- endmacro %}
