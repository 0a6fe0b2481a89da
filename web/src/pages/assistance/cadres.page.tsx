/**
 * Cadres and pairing (county and town offices): cadres with their load against the policy's
 * quota, households without a helper (pair them here), the re-pairing worklist, overdue visits,
 * and the work team's monthly attendance per village.
 */
import {
  App,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { labelFor, RISK_FACTORS } from "../../../../src/core/vocab.ts";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { useI18n } from "../../i18n/i18n.tsx";
import { useSession } from "../../session/session.tsx";
import { useAssistanceText } from "./assistance.i18n.ts";
import type { CadreView, HouseholdBrief, TeamReport } from "./assistance-api.ts";

const householdLink = (n: string) => <Link to={`/assist/households/${n}`}>{n}</Link>;

export function CadresPage() {
  const a = useAssistanceText();
  const { message } = App.useApp();
  const showError = useApiError();
  const { user } = useSession();
  const [cadres, setCadres] = useState<CadreView[]>([]);
  const [unpaired, setUnpaired] = useState<HouseholdBrief[]>([]);
  const [repair, setRepair] = useState<
    (HouseholdBrief & { formerCadre: string; endedOn: string })[]
  >([]);
  const [overdue, setOverdue] = useState<
    (HouseholdBrief & { cadreName: string; lastVisit: string | null; dueOn: string })[]
  >([]);
  const [adding, setAdding] = useState(false);
  const [choice, setChoice] = useState<Record<string, number>>({});
  const [form] = Form.useForm();
  const mayPair = user?.can.includes("assistance.pair") ?? false;

  const load = useCallback(() => {
    Promise.all([
      api.get<{ items: CadreView[] }>("/api/assistance/cadres"),
      api.get<{ items: HouseholdBrief[] }>("/api/assistance/unpaired"),
      api.get<{ items: (HouseholdBrief & { formerCadre: string; endedOn: string })[] }>(
        "/api/assistance/repair-worklist",
      ),
      api.get<{
        items: (HouseholdBrief & { cadreName: string; lastVisit: string | null; dueOn: string })[];
      }>("/api/assistance/overdue"),
    ]).then(
      ([c, u, r, o]) => {
        setCadres(c.items);
        setUnpaired(u.items);
        setRepair(r.items);
        setOverdue(o.items);
      },
      (e) => showError(e),
    );
  }, [showError]);
  useEffect(load, [load]);

  const pair = async (householdNumber: string) => {
    const cadreId = choice[householdNumber];
    if (!cadreId) return;
    try {
      await api.post("/api/assistance/pairings", { cadreId, householdNumber });
      message.success(a.paired);
      load();
    } catch (e) {
      showError(e);
    }
  };
  const active = cadres.filter((c) => c.status === "active");
  const pairCell = (h: HouseholdBrief) =>
    mayPair ? (
      <Space.Compact>
        <Select
          style={{ width: 200 }}
          placeholder={a.chooseCadre}
          value={choice[h.householdNumber]}
          onChange={(v) => setChoice({ ...choice, [h.householdNumber]: v })}
          options={active.map((c) => ({
            value: c.id,
            label: `${c.name}（${c.load}/${c.quota ?? "—"}）`,
            disabled: c.quota !== null && c.load >= c.quota,
          }))}
        />
        <Button
          type="primary"
          onClick={() => pair(h.householdNumber)}
          disabled={!choice[h.householdNumber]}
        >
          {a.pair}
        </Button>
      </Space.Compact>
    ) : null;
  const hhColumns = [
    { title: a.household, dataIndex: "householdNumber", render: householdLink },
    { title: a.head, dataIndex: "headName" },
    { title: a.village, dataIndex: "villageCode" },
  ];

  return (
    <div className="assist assist--wide" data-testid="cadres-page">
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {a.cadres}
      </Typography.Title>
      <Tabs
        items={[
          {
            key: "cadres",
            label: `${a.cadres}（${cadres.length}）`,
            children: (
              <>
                {user?.can.includes("cadre.manage") && (
                  <Button
                    type="primary"
                    onClick={() => setAdding(true)}
                    style={{ marginBottom: 12 }}
                  >
                    {a.addCadre}
                  </Button>
                )}
                <Table
                  rowKey="id"
                  size="small"
                  dataSource={cadres}
                  pagination={false}
                  scroll={{ x: true }}
                  columns={[
                    { title: a.cadreName, dataIndex: "name" },
                    { title: a.unit, dataIndex: "unit" },
                    { title: a.rank, dataIndex: "rankName" },
                    { title: a.phone, dataIndex: "phone" },
                    {
                      title: a.load,
                      render: (_: unknown, c: CadreView) => (
                        <Tag color={c.quota !== null && c.load >= c.quota ? "orange" : "blue"}>
                          {c.load} / {c.quota ?? "—"}
                        </Tag>
                      ),
                    },
                    {
                      title: a.cadreStatus,
                      dataIndex: "status",
                      render: (s: string) => a.cadreStatuses[s] ?? s,
                    },
                  ]}
                />
              </>
            ),
          },
          {
            key: "unpaired",
            label: `${a.unpaired}（${unpaired.length}）`,
            children: (
              <Table
                rowKey="householdNumber"
                size="small"
                dataSource={unpaired}
                scroll={{ x: true }}
                columns={[
                  ...hhColumns,
                  { title: a.pair, render: (_: unknown, h: HouseholdBrief) => pairCell(h) },
                ]}
              />
            ),
          },
          {
            key: "repair",
            label: `${a.repair}（${repair.length}）`,
            children: (
              <Table
                rowKey="householdNumber"
                size="small"
                dataSource={repair}
                scroll={{ x: true }}
                columns={[
                  ...hhColumns,
                  { title: a.formerCadre, dataIndex: "formerCadre" },
                  { title: a.date, dataIndex: "endedOn" },
                  { title: a.pair, render: (_: unknown, h: HouseholdBrief) => pairCell(h) },
                ]}
              />
            ),
          },
          {
            key: "overdue",
            label: `${a.overdueList}（${overdue.length}）`,
            children: (
              <Table
                rowKey="householdNumber"
                size="small"
                dataSource={overdue}
                scroll={{ x: true }}
                columns={[
                  ...hhColumns,
                  { title: a.helper, dataIndex: "cadreName" },
                  {
                    title: a.lastVisit,
                    dataIndex: "lastVisit",
                    render: (v: string | null) => v ?? a.never,
                  },
                  { title: a.dueOn, dataIndex: "dueOn" },
                ]}
              />
            ),
          },
          { key: "coverage", label: a.coverage, children: <Coverage /> },
          { key: "team", label: a.workTeam, children: <WorkTeam /> },
        ]}
      />
      <Modal
        open={adding}
        title={a.addCadre}
        onCancel={() => setAdding(false)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            try {
              await api.post("/api/assistance/cadres", v);
              setAdding(false);
              form.resetFields();
              load();
            } catch (e) {
              showError(e, { form });
            }
          }}
        >
          <Form.Item name="name" label={a.cadreName} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="unit" label={a.unit} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="post" label={a.post}>
            <Input />
          </Form.Item>
          <Form.Item name="rank" label={a.rank} rules={[{ required: true }]}>
            <Select
              options={[
                { value: "county_leader", label: "县级领导" },
                { value: "section_level", label: "科级干部" },
                { value: "staff", label: "一般干部" },
                { value: "other", label: "其他人员" },
              ]}
            />
          </Form.Item>
          <Form.Item name="phone" label={a.phone}>
            <Input inputMode="tel" />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}

/** A village's work team for a month: days in the village against the policy's minimum. */
function WorkTeam() {
  const a = useAssistanceText();
  const showError = useApiError();
  const { user } = useSession();
  const [village, setVillage] = useState(user?.regionCode?.length === 12 ? user.regionCode : "");
  const [month, setMonth] = useState<Dayjs>(dayjs().subtract(1, "month"));
  const [report, setReport] = useState<TeamReport | null>(null);
  const [memberForm] = Form.useForm();

  const load = useCallback(() => {
    if (!/^\d{12}$/.test(village)) return;
    api
      .get<TeamReport>("/api/assistance/work-team/report", {
        village,
        month: month.format("YYYY-MM"),
      })
      .then(setReport, (e) => showError(e));
  }, [village, month, showError]);
  useEffect(load, [load]);

  const record = async (id: number, days: number | null, leaderVisits: number | null) => {
    if (days === null) return;
    try {
      setReport(
        await api.put<TeamReport>(`/api/assistance/work-team/${id}/attendance`, {
          month: month.format("YYYY-MM"),
          days,
          leaderVisits: leaderVisits ?? 0,
        }),
      );
    } catch (e) {
      showError(e);
    }
  };

  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Space wrap>
        <Input
          placeholder={a.village}
          value={village}
          onChange={(e) => setVillage(e.target.value.trim())}
          style={{ width: 180 }}
          data-testid="team-village"
        />
        <DatePicker
          picker="month"
          value={month}
          onChange={(m) => m && setMonth(m)}
          allowClear={false}
        />
      </Space>
      {report && (
        <Card size="small">
          <Typography.Paragraph type="secondary">
            {a.minDays(report.minDays)}；
            {a.report(report.households, report.paired, report.visits, report.measuresDelivered)}
          </Typography.Paragraph>
          <Table
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={report.members}
            scroll={{ x: true }}
            columns={[
              { title: a.cadreName, dataIndex: "name" },
              { title: a.post, dataIndex: "role", render: (r: string) => a.roles[r] ?? r },
              { title: a.unit, dataIndex: "unit" },
              {
                title: a.days,
                render: (_: unknown, m: TeamReport["members"][number]) => (
                  <Space>
                    <InputNumber
                      min={0}
                      max={31}
                      defaultValue={m.days ?? undefined}
                      onBlur={(e) =>
                        record(
                          m.id,
                          e.target.value === "" ? null : Number(e.target.value),
                          m.leaderVisits,
                        )
                      }
                      style={{ width: 80 }}
                    />
                    {m.belowMinimum && <Tag color="red">{a.belowMinimum}</Tag>}
                  </Space>
                ),
              },
              { title: a.leaderVisits, dataIndex: "leaderVisits" },
            ]}
          />
          <Form
            form={memberForm}
            layout="inline"
            style={{ marginTop: 12 }}
            onFinish={async (v) => {
              try {
                await api.post("/api/assistance/work-team", { ...v, village });
                memberForm.resetFields();
                load();
              } catch (e) {
                showError(e, { form: memberForm });
              }
            }}
          >
            <Form.Item name="name" rules={[{ required: true }]}>
              <Input placeholder={a.cadreName} />
            </Form.Item>
            <Form.Item name="unit" rules={[{ required: true }]}>
              <Input placeholder={a.unit} />
            </Form.Item>
            <Form.Item name="role" initialValue="member">
              <Select
                style={{ width: 120 }}
                options={Object.entries(a.roles).map(([value, label]) => ({ value, label }))}
              />
            </Form.Item>
            <Button htmlType="submit">{a.addMember}</Button>
          </Form>
        </Card>
      )}
    </Space>
  );
}

interface CoverageView {
  monitored: number;
  riskCovered: number;
  riskCoverage: number | null;
  withLabour: number;
  developmentCovered: number;
  developmentCoverage: number | null;
  byRisk: { risk: string; households: number; covered: number }[];
  gaps: (HouseholdBrief & { missingRisks: string[]; missingDevelopment: boolean })[];
}

const percent = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);

/** 政策到位率 of the user's region with the gap list. */
function Coverage() {
  const a = useAssistanceText();
  const { fieldLang } = useI18n();
  const showError = useApiError();
  const [c, setC] = useState<CoverageView | null>(null);
  useEffect(() => {
    api.get<CoverageView>("/api/assistance/coverage").then(setC, (e) => showError(e));
  }, [showError]);
  if (!c) return null;
  const risk = (code: string) => labelFor(RISK_FACTORS, code, fieldLang);
  return (
    <Space direction="vertical" style={{ width: "100%" }} data-testid="coverage">
      <Space wrap size="large">
        <Card size="small">
          <Statistic title={a.riskCoverage} value={percent(c.riskCoverage)} />
          {a.ofHouseholds(c.riskCovered, c.monitored)}
        </Card>
        <Card size="small">
          <Statistic title={a.developmentCoverage} value={percent(c.developmentCoverage)} />
          {a.ofHouseholds(c.developmentCovered, c.withLabour)}
        </Card>
      </Space>
      <Table
        rowKey="risk"
        size="small"
        pagination={false}
        dataSource={c.byRisk}
        columns={[
          { title: a.risk, dataIndex: "risk", render: risk },
          {
            title: a.covered,
            render: (_: unknown, r: CoverageView["byRisk"][number]) =>
              a.ofHouseholds(r.covered, r.households),
          },
        ]}
      />
      <Typography.Title level={5}>{a.gaps}</Typography.Title>
      <Table
        rowKey="householdNumber"
        size="small"
        dataSource={c.gaps}
        scroll={{ x: true }}
        columns={[
          { title: a.household, dataIndex: "householdNumber", render: householdLink },
          { title: a.head, dataIndex: "headName" },
          {
            title: a.missingRisks,
            dataIndex: "missingRisks",
            render: (rs: string[]) => rs.map(risk).join("、"),
          },
          {
            title: a.missingDevelopment,
            dataIndex: "missingDevelopment",
            render: (v: boolean) => (v ? <Tag color="red">{a.missingDevelopment}</Tag> : null),
          },
        ]}
      />
    </Space>
  );
}
