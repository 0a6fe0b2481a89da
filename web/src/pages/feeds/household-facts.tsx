/**
 * The household page's 部门数据 card: each fact with its values and source row; a household
 * without facts gets one compact line rather than an empty box.
 */
import { Card, List, Space, Spin, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useFeedsText } from "./feeds.i18n.ts";
import { type Fact, householdFacts } from "./feeds-api.ts";

export function HouseholdFacts({ householdNumber }: { householdNumber: string }) {
  const x = useFeedsText();
  const [facts, setFacts] = useState<Fact[] | null>(null);

  useEffect(() => {
    householdFacts(householdNumber)
      .then((r) => setFacts(r.items))
      // Users who may not read department data simply do not see the card's content.
      .catch(() => setFacts([]));
  }, [householdNumber]);

  if (facts === null || facts.length === 0) {
    return (
      <Card
        size="small"
        title={x.facts}
        className="page__card facts-card--empty"
        data-testid="household-facts"
        extra={
          facts === null ? (
            <Spin size="small" />
          ) : (
            <Typography.Text type="secondary" data-testid="household-facts-empty">
              {x.factsEmpty}
            </Typography.Text>
          )
        }
        styles={{ body: { display: "none" } }}
      />
    );
  }

  return (
    <Card title={x.facts} className="page__card" data-testid="household-facts">
      <List
        size="small"
        dataSource={facts}
        renderItem={(f) => (
          <List.Item>
            <Space direction="vertical" size={2}>
              <Space wrap>
                <Tag color={f.current ? "blue" : "default"}>{f.feedName}</Tag>
                <strong>{f.memberName}</strong>
                <span>{f.effectiveFrom}</span>
                {!f.current && (
                  <Typography.Text delete>
                    {f.withdrawn ? x.withdrawnFact : x.superseded_}
                  </Typography.Text>
                )}
              </Space>
              <Typography.Text type="secondary">
                {f.values.map((v) => `${v.label}：${v.value ?? ""}`).join("；")}
              </Typography.Text>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {x.sources}：{x.source(f.source.file, f.source.row)}
              </Typography.Text>
            </Space>
          </List.Item>
        )}
      />
    </Card>
  );
}
