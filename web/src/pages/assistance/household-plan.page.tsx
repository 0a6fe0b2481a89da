/**
 * One household's assistance (mobile-first): helper and phone, plan, measures, visits; record a
 * visit or add a measure in a drawer; print the assistance card on A4 or A5.
 */
import { ArrowLeftOutlined, PlusOutlined, PrinterOutlined } from "@ant-design/icons";
import {
  Button,
  Card,
  Descriptions,
  Drawer,
  Empty,
  Input,
  List,
  Skeleton,
  Space,
  Tag,
  Typography,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { useI18n } from "../../i18n/i18n.tsx";
import { useAssistanceText } from "./assistance.i18n.ts";
import { cardUrl, type PlanView } from "./assistance-api.ts";
import { MeasureForm } from "./measure-form.tsx";
import { VisitForm } from "./visit-form.tsx";

const yuan = (fen: number) => (fen / 100).toFixed(2);

export function HouseholdPlanPage() {
  const { householdNumber = "" } = useParams();
  const a = useAssistanceText();
  const showError = useApiError();
  const [plan, setPlan] = useState<PlanView | null>(null);
  const [drawer, setDrawer] = useState<"visit" | "measure" | null>(null);
  const [goal, setGoal] = useState<string | null>(null);
  const { t } = useI18n();
  const saveGoal = async () => {
    if (goal === null) return;
    try {
      setPlan(
        await api.put<PlanView>(
          `/api/households/${encodeURIComponent(householdNumber)}/assistance/plan`,
          { goal },
        ),
      );
      setGoal(null);
    } catch (e) {
      showError(e);
    }
  };

  const load = useCallback(() => {
    api
      .get<PlanView>(`/api/households/${encodeURIComponent(householdNumber)}/assistance`)
      .then(setPlan, (e) => showError(e));
  }, [householdNumber, showError]);
  useEffect(load, [load]);

  if (!plan) return <Skeleton active />;
  const h = plan.household;
  const mayPlan = plan.can.includes("assistance.plan");
  const mayVisit = plan.can.includes("assistance.visit");
  const saved = () => {
    setDrawer(null);
    load();
  };

  return (
    <div className="assist" data-testid="household-plan">
      <Space className="assist__head" wrap>
        <Link to="/assist/mine">
          <ArrowLeftOutlined />
        </Link>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {h.headName ?? h.householdNumber}
        </Typography.Title>
        <Typography.Text type="secondary">{h.householdNumber}</Typography.Text>
      </Space>
      <Space className="assist__actions" wrap>
        {mayVisit && (
          <Button
            type="primary"
            size="large"
            onClick={() => setDrawer("visit")}
            data-testid="open-visit"
          >
            {a.recordVisit}
          </Button>
        )}
        {mayPlan && (
          <Button
            size="large"
            icon={<PlusOutlined />}
            onClick={() => setDrawer("measure")}
            data-testid="open-measure"
          >
            {a.addMeasure}
          </Button>
        )}
        <Button
          size="large"
          icon={<PrinterOutlined />}
          href={cardUrl(h.householdNumber, "A4")}
          target="_blank"
          data-testid="print-card"
        >
          {a.cardA4}
        </Button>
        <Button
          size="large"
          icon={<PrinterOutlined />}
          href={cardUrl(h.householdNumber, "A5")}
          target="_blank"
        >
          {a.cardA5}
        </Button>
      </Space>

      <Card size="small" title={a.helper}>
        {plan.helper ? (
          <Descriptions column={1} size="small">
            <Descriptions.Item label={a.cadreName}>{plan.helper.name}</Descriptions.Item>
            <Descriptions.Item label={a.unit}>
              {plan.helper.unit}
              {plan.helper.post ? ` ${plan.helper.post}` : ""}
            </Descriptions.Item>
            <Descriptions.Item label={a.phone}>
              {plan.helper.phone ? (
                <a href={`tel:${plan.helper.phone}`}>{plan.helper.phone}</a>
              ) : (
                "—"
              )}
            </Descriptions.Item>
          </Descriptions>
        ) : (
          <Typography.Text type="warning">{a.noHelper}</Typography.Text>
        )}
      </Card>

      <Card size="small" title={a.plan}>
        {mayPlan ? (
          <Space.Compact style={{ width: "100%" }}>
            <Input.TextArea
              key={plan.goal ?? ""}
              defaultValue={plan.goal ?? ""}
              placeholder={a.goal}
              autoSize={{ minRows: 1, maxRows: 4 }}
              onChange={(e) => setGoal(e.target.value)}
              data-testid="plan-goal"
            />
            <Button onClick={saveGoal} disabled={goal === null}>
              {t.common.save}
            </Button>
          </Space.Compact>
        ) : (
          <Typography.Paragraph style={{ margin: 0 }}>{plan.goal || "—"}</Typography.Paragraph>
        )}
      </Card>

      <Card size="small" title={a.measures}>
        {plan.measures.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={a.noMeasures} />
        ) : (
          <List
            size="small"
            dataSource={plan.measures}
            data-testid="measure-list"
            renderItem={(m) => (
              <List.Item
                extra={
                  <span className="assist__amount">
                    {m.amountFen > 0 ? `¥${yuan(m.amountFen)}` : ""}
                  </span>
                }
              >
                <List.Item.Meta
                  title={
                    <Space wrap size={4}>
                      <span>{m.name}</span>
                      {m.developmentType && <Tag color="green">{a.development}</Tag>}
                      <Tag
                        color={
                          m.status === "delivered"
                            ? "blue"
                            : m.status === "stopped"
                              ? "default"
                              : "gold"
                        }
                      >
                        {a.statuses[m.status]}
                      </Tag>
                    </Space>
                  }
                  description={`${m.category} · ${m.date}`}
                />
              </List.Item>
            )}
          />
        )}
      </Card>

      <Card size="small" title={a.visits}>
        {plan.visits.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={a.noVisits} />
        ) : (
          <List
            size="small"
            dataSource={plan.visits}
            data-testid="visit-list"
            renderItem={(v) => (
              <List.Item>
                <List.Item.Meta
                  title={
                    <Space wrap size={4}>
                      <span>{v.visitedOn}</span>
                      {v.cadreName && <span>{v.cadreName}</span>}
                      {v.hasPhoto && (
                        <a
                          href={`/api/assistance/visits/${v.id}/photo`}
                          target="_blank"
                          rel="noreferrer"
                        >
                          <Tag color="purple">{a.hasPhoto}</Tag>
                        </a>
                      )}
                    </Space>
                  }
                  description={v.notes}
                />
              </List.Item>
            )}
          />
        )}
      </Card>

      <Drawer
        open={drawer !== null}
        onClose={() => setDrawer(null)}
        placement="bottom"
        size="large"
        title={drawer === "visit" ? a.recordVisit : a.addMeasure}
        destroyOnHidden
      >
        {drawer === "visit" && (
          <VisitForm householdNumber={h.householdNumber} measures={plan.measures} onSaved={saved} />
        )}
        {drawer === "measure" && (
          <MeasureForm
            householdNumber={h.householdNumber}
            catalogue={plan.catalogue}
            onSaved={saved}
          />
        )}
      </Drawer>
    </div>
  );
}
