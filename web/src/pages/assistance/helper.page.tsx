/** The helper's phone page: my households, who is due or overdue for a visit. */
import { RightOutlined } from "@ant-design/icons";
import { Card, Empty, List, Skeleton, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { useAssistanceText } from "./assistance.i18n.ts";
import type { MineView } from "./assistance-api.ts";

export function HelperPage() {
  const a = useAssistanceText();
  const showError = useApiError();
  const [mine, setMine] = useState<MineView | null>(null);
  useEffect(() => {
    api.get<MineView>("/api/assistance/mine").then(setMine, (e) => showError(e));
  }, [showError]);
  if (!mine) return <Skeleton active />;
  const items = [...mine.items].sort(
    (x, y) => Number(y.overdue) - Number(x.overdue) || (x.dueOn < y.dueOn ? -1 : 1),
  );
  return (
    <div className="assist" data-testid="helper-page">
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {a.mine}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{a.mineIntro(mine.everyDays)}</Typography.Paragraph>
      {items.length === 0 ? (
        <Empty description={a.noHouseholds} />
      ) : (
        <List
          dataSource={items}
          data-testid="my-households"
          renderItem={(h) => (
            <Link to={`/assist/households/${h.householdNumber}`} className="assist__row">
              <Card size="small" hoverable>
                <div className="assist__row-body">
                  <div>
                    <Typography.Text strong>{h.headName ?? h.householdNumber}</Typography.Text>{" "}
                    {h.overdue ? (
                      <Tag color="red">{a.overdue}</Tag>
                    ) : (
                      <Tag color="green">{a.onTime}</Tag>
                    )}
                    <div className="assist__meta">
                      {a.lastVisit}：{h.lastVisit ?? a.never} · {a.dueOn}：{h.dueOn}
                    </div>
                  </div>
                  <RightOutlined />
                </div>
              </Card>
            </Link>
          )}
        />
      )}
    </div>
  );
}
