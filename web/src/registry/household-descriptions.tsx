/** The household's fields, grouped as the national forms group them. */

import type { DescriptionsProps } from "antd";
import { Descriptions, Typography } from "antd";
import type { HouseholdDetail } from "../api/types.ts";
import { chinaDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { fieldLabel, formatValue, HOUSEHOLD_GROUPS, householdDef, yuan } from "./fields.ts";

type Item = NonNullable<DescriptionsProps["items"]>[number];

export function HouseholdDescriptions({ detail }: { detail: HouseholdDetail }) {
  const { t, fieldLang } = useI18n();
  const h = detail.household as unknown as Record<string, unknown>;
  const empty = <Typography.Text type="secondary">{t.common.empty}</Typography.Text>;
  const show = (text: string) => (text === "" ? empty : text);

  return (
    <div className="household-fields">
      {HOUSEHOLD_GROUPS.map(({ group, keys }) => {
        const items: Item[] = keys.map((key) => {
          const def = householdDef(key);
          let text = formatValue(def, h[key], fieldLang, t);
          if (key === "villageCode" && detail.household.villageName) {
            text = `${detail.household.villageName}（${detail.household.villageCode}）`;
          }
          return {
            key,
            label: fieldLabel(def, fieldLang),
            children: <span data-field={key}>{show(text)}</span>,
            span: key === "remarks" || key === "riskFactors" ? 2 : 1,
          };
        });
        if (group === "income") {
          items.push(
            {
              key: "computedNet",
              label: t.detail.computedNet,
              children: show(yuan(detail.computed.netIncome)),
            },
            {
              key: "computedPerCapita",
              label: t.detail.computedPerCapita,
              children: show(yuan(detail.computed.perCapitaIncome)),
            },
          );
        }
        if (group === "other") {
          const when = (s: string | null) => (s ? chinaDateTime(s) : "");
          items.push(
            {
              key: "createdAt",
              label: t.detail.createdAt,
              children: show(when(detail.household.createdAt)),
            },
            {
              key: "updatedAt",
              label: t.detail.updatedAt,
              children: show(when(detail.household.updatedAt)),
            },
            { key: "version", label: t.detail.version, children: String(detail.household.version) },
          );
        }
        return (
          <Descriptions
            key={group}
            className="household-fields__group"
            title={t.detail.groups[group]}
            bordered
            size="small"
            column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 3 }}
            items={items}
          />
        );
      })}
    </div>
  );
}
